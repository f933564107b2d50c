"""The owner's pages for contacts, the brief and the inbox (under /diary/)."""

from django.urls import path

from witnesses.owner import views

app_name = "witnesses"

urlpatterns = [
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<int:witness_id>/", views.contact_detail, name="contact"),
    path("contacts/<int:witness_id>/link/", views.contact_link, name="contact_link"),
    path("contacts/<int:witness_id>/sharing/", views.contact_sharing, name="contact_sharing"),
    path("contacts/<int:witness_id>/extend/", views.contact_extend, name="contact_extend"),
    path("contacts/<int:witness_id>/revoke/", views.contact_revoke, name="contact_revoke"),
    path("contacts/<int:witness_id>/reissue/", views.contact_reissue, name="contact_reissue"),
    path("brief/", views.brief, name="brief"),
    path("brief/photo", views.brief_photo, name="brief_photo"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:submission_id>/", views.submission_detail, name="submission"),
    path("inbox/<int:submission_id>/accept/", views.submission_accept, name="accept"),
    path("inbox/<int:submission_id>/keep-aside/", views.submission_keep_aside, name="keep_aside"),
    path(
        "inbox/files/<int:file_id>/original",
        views.submission_file,
        {"which": "original"},
        name="file_original",
    ),
    path(
        "inbox/files/<int:file_id>/preview",
        views.submission_file,
        {"which": "preview"},
        name="file_preview",
    ),
    path(
        "inbox/files/<int:file_id>/play",
        views.submission_file,
        {"which": "media"},
        name="file_media",
    ),
    path("inbox/files/<int:file_id>/safe", views.submission_file_safe, name="file_safe"),
    path(
        "inbox/files/<int:file_id>/safe/<int:number>.png",
        views.submission_file_safe_page,
        name="file_safe_page",
    ),
    path("shared/", views.shared, name="shared"),
    path("shared/<int:entry_id>/", views.share_toggle, name="share_toggle"),
]
