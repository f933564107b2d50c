import os

from django.core.asgi import get_asgi_application

from project.umask import owner_only

owner_only()  # before anything can create a file (the database, media/)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# Build the Django app before importing anything that touches models (Channels' advice).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from diary.live.consumers import DiaryConsumer  # noqa: E402
from diary.web.body_size import BodySizeLimit  # noqa: E402
from diary.web.origins import SameOriginValidator  # noqa: E402
from witnesses.live.consumers import WitnessConsumer  # noqa: E402

# django-stubs types path() for views alone, and the channels stubs' pattern type is check-only.
websocket_urlpatterns = [
    path("ws/diary/", DiaryConsumer.as_asgi()),  # type: ignore[arg-type]  # an ASGI app
    path("ws/witness/", WitnessConsumer.as_asgi()),  # type: ignore[arg-type]  # an ASGI app
]

application = ProtocolTypeRouter(
    {
        # A body over its route's cap is refused here, before Django spools it to disk.
        "http": BodySizeLimit(django_asgi_app),
        # The Origin's scheme, host and port must be this site's (Channels' own check ignores
        # the port).
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]  # as above
        ),
    }
)
