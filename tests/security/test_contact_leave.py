"""Pat presses "Leave this site" on her phone; later someone else picks the phone up, or has
copied its cookie.

Her cookie lasted 90 days and survived "Leave this site": Back, or any copy of the cookie,
brought her page (the brief, the photo, what she sent) straight back. Now leaving ends that
device's session on the server and clears the cookie, and the cookie lasts only as long as the
browser session unless she chooses "keep me on this phone".
"""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.security.conftest import HER_PHONE, body, browser
from witnesses.models import Submission, WitnessDevice
from witnesses.services.brief import brief_update
from witnesses.services.links import witness_invite

BRIEF = "Tall man, grey Ford Focus"
COOKIE = settings.WITNESS_COOKIE_NAME


def pat_on_her_phone(owner):
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={"person": BRIEF, "vehicles": "", "places": "", "what_to_record": ""},
    )
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    pat = browser(agent=HER_PHONE)
    response = pat.get(f"/w/{token}")
    assert response.status_code == 302
    return witness, token, pat, response


def test_her_cookie_ends_with_the_browser_session_unless_she_keeps_it(owner):
    witness, _, pat, landing = pat_on_her_phone(owner)
    cookie = landing.cookies[COOKIE]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a session cookie
    assert cookie["httponly"] is True
    device = WitnessDevice.objects.get(link__witness=witness)
    assert device.kept is False

    page = body(pat.get(reverse("witness:home")))
    assert "Keep me on this phone" in page
    kept = pat.post(reverse("witness:keep"), {"keep": "on"})
    assert kept.status_code == 302
    device.refresh_from_db()
    assert device.kept is True
    assert kept.cookies[COOKIE]["expires"] != ""  # now it lasts until the link ends
    assert kept.cookies[COOKIE].value == cookie.value

    forgot = pat.post(reverse("witness:keep"), {})
    device.refresh_from_db()
    assert device.kept is False
    assert forgot.cookies[COOKIE]["expires"] == "" and forgot.cookies[COOKIE]["max-age"] == ""


def test_leave_ends_her_session_and_the_old_cookie_opens_nothing(owner):
    witness, token, pat, landing = pat_on_her_phone(owner)
    old_key = landing.cookies[COOKIE].value
    page = body(pat.get(reverse("witness:home")))
    assert BRIEF in page
    assert f'action="{reverse("witness:leave")}"' in page

    response = pat.post(reverse("witness:leave"))
    assert response.status_code == 302
    assert response.url == settings.QUICK_EXIT_URL
    assert response.cookies[COOKIE].value == "" and response.cookies[COOKIE]["max-age"] == 0
    assert '"cookies"' in response["Clear-Site-Data"]
    assert "no-store" in response["Cache-Control"]
    device = WitnessDevice.objects.get(link__witness=witness)
    assert device.left_at is not None

    # Back on the same phone: the neutral page, nothing of the brief.
    back = pat.get(reverse("witness:home"))
    assert back.status_code == 404
    assert BRIEF not in body(back)

    # A copy of the old cookie opens nothing, on the pages, the API or a send.
    copy = Client(HTTP_USER_AGENT=HER_PHONE)
    copy.cookies[COOKIE] = old_key
    assert copy.get(reverse("witness:home")).status_code == 404
    assert BRIEF not in body(copy.get(reverse("witness:home")))
    assert copy.get("/api/witness/brief/").status_code == 403
    assert copy.get("/api/witness/submissions/").status_code == 403
    copy.cookies[COOKIE] = old_key
    sent = copy.post(
        reverse("witness:home"),
        {"kind": "saw", "occurred_start": "2026-11-20T17:30", "what_happened": "x"},
    )
    assert sent.status_code == 404
    assert not Submission.objects.exists()

    # The link still works: opening it again is a new device, which she sees.
    again = browser(agent=HER_PHONE)
    assert again.get(f"/w/{token}").status_code == 302
    assert WitnessDevice.objects.filter(link__witness=witness, left_at__isnull=True).count() == 1


def test_with_javascript_the_beacon_ends_it_too(owner):
    witness, _, pat, _ = pat_on_her_phone(owner)
    response = pat.post(reverse("witness:leave"), {"beacon": "1"})
    assert response.status_code == 204
    assert WitnessDevice.objects.get(link__witness=witness).left_at is not None
    assert pat.get(reverse("witness:home")).status_code == 404


def test_the_api_can_leave_as_the_page_does(owner):
    witness, _, pat, landing = pat_on_her_phone(owner)
    key = landing.cookies[COOKIE].value
    response = pat.post("/api/witness/leave/")
    assert response.status_code == 204
    assert response.cookies[COOKIE]["max-age"] == 0
    assert WitnessDevice.objects.get(link__witness=witness).left_at is not None
    copy = Client()
    copy.cookies[COOKIE] = key
    assert copy.get("/api/witness/brief/").status_code == 403


def test_the_note_says_leaving_ends_her_visit(owner):
    _, _, pat, _ = pat_on_her_phone(owner)
    page = body(pat.get(reverse("witness:home")))
    assert "It also ends your visit on this phone" in page
    assert "It signs you out too." not in page
