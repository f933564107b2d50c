from django.urls import include, path

from diary.bundle.views import signing_keys, verifier_download, verify_page
from diary.safety.views import leave, quick_exit_seen
from diary.web.pages import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("seen/quick-exit/", quick_exit_seen, name="quick_exit_seen"),
    path("leave/", leave, name="leave"),
    # For anyone checking a bundle: the instance's keys and the checker, with no sign-in.
    path(".well-known/sightline/signing-keys.json", signing_keys, name="signing_keys"),
    path("verify/", verify_page, name="verify"),
    path("verify/<str:name>", verifier_download, name="verifier"),
    path("diary/", include("diary.urls")),
    path("diary/", include("witnesses.owner.urls")),
    path("w/", include("witnesses.contact.urls")),
    path("api/", include("diary.api_urls")),
    path("api/", include("witnesses.api.urls")),
]

# The error page carries the quick exit too; it renders without the database or a request.
handler500 = "diary.web.pages.server_error"
