"""The browser features a page may ask for. Every response turns them all off
(settings.PERMISSIONS_POLICY, set by diary.web.middleware); a page that needs one (the entry
form's "Use where I am now" asks for the location; "Record now", the camera and microphone)
turns on just that one, for this site only."""

from django.conf import settings
from django.http import HttpResponse


def allowing(response: HttpResponse, *features: str) -> HttpResponse:
    """`response` may use `features` (such as "geolocation") from this origin, and nothing else
    more than any other page."""
    policy = response.get("Permissions-Policy", settings.PERMISSIONS_POLICY)
    for feature in features:
        policy = policy.replace(f"{feature}=()", f"{feature}=(self)")
    response["Permissions-Policy"] = policy
    return response


def may_record(response: HttpResponse) -> HttpResponse:
    """A page with "Record now" (diary/_recorder.html) may use this site's own camera and
    microphone, and only when she taps record; no other site, nor any frame, gets either."""
    return allowing(response, "camera", "microphone")
