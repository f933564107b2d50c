"""Everything that grants access or takes evidence out of view is a line in the owner's access
log, with the session, browser and address that did it. Each case here does the thing through
the real page or API from his browser (an open session of hers he got hold of), then reads the
line back: its kind, session, browser, address and detail, and that the detail holds no entry
text."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.core.crypto import stored_key
from diary.evidence.services import evidence_attach
from diary.models import AccessEvent, OwnerSession
from tests.conftest import confirmed
from tests.factories import jpeg_bytes, upload
from tests.security.conftest import SENTINEL, browser, sign_in, totp_code
from witnesses.models import Submission, SubmissionFile, Witness
from witnesses.selectors import witness_actor
from witnesses.services.links import witness_invite
from witnesses.services.submissions import submission_create

HIS_ADDRESS = "198.51.100.23"
Kind = AccessEvent.Kind


@pytest.fixture
def him(owner: Any) -> Any:
    client = browser(ip=HIS_ADDRESS)
    sign_in(client, owner.email)
    # Each of these may ask to confirm it is you first; that is another slice's test.
    return confirmed(client)


@pytest.fixture
def pat(owner: Any) -> Witness:
    witness, _ = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    return witness


def a_report(owner: Any, pat: Witness) -> Submission:
    _, token = witness_invite(diary=owner.diary, actor=owner, name="Kim", relationship="friend")
    contact = browser()
    contact.get(f"/w/{token}")
    return submission_create(
        device=witness_actor(contact.cookies["w"].value),
        content={
            "kind": "saw",
            "occurred_start": timezone.now() - timedelta(hours=1),
            "what_happened": SENTINEL,
        },
        uploads=[upload("seen.jpg", jpeg_bytes())],
    )


def his_line(owner: Any, him: Any, kind: str) -> AccessEvent:
    """The one line of this kind, made from his session, with his browser and address."""
    session = OwnerSession.objects.get(
        session_key=stored_key(him.cookies[settings.SESSION_COOKIE_NAME].value)
    )
    [line] = AccessEvent.objects.filter(user=owner, kind=kind, session=session)
    assert (line.browser, line.ip) == ("Chrome on Android", HIS_ADDRESS)
    assert SENTINEL not in line.detail
    assert line.get_kind_display() != line.kind  # every kind has a plain label
    return line


def invite_by_api(owner: Any, him: Any, pat: Witness) -> str:
    response = him.post(
        "/api/witnesses/",
        {"name": "Alex", "relationship": "friend", "sharing": "all"},
        content_type="application/json",
    )
    assert response.status_code == 201
    return "Alex (friend)"


def invite_by_page(owner: Any, him: Any, pat: Witness) -> str:
    response = him.post(
        reverse("witnesses:contact_new"),
        {"name": "Alex", "relationship": "friend", "sharing": "brief"},
    )
    assert response.status_code == 302
    return "Alex (friend)"


def share_everything(owner: Any, him: Any, pat: Witness) -> str:
    response = him.post(reverse("witnesses:contact_sharing", args=[pat.pk]), {"sharing": "all"})
    assert response.status_code == 302
    pat.refresh_from_db()
    assert pat.sharing == "all"
    return f"Pat (neighbour): {pat.get_sharing_display()}"


def extend(owner: Any, him: Any, pat: Witness) -> str:
    assert him.post(reverse("witnesses:contact_extend", args=[pat.pk])).status_code == 302
    return "Pat (neighbour)"


def replace(owner: Any, him: Any, pat: Witness) -> str:
    assert him.post(f"/api/witnesses/{pat.pk}/reissue/").status_code == 201
    return "Pat (neighbour)"


def stop(owner: Any, him: Any, pat: Witness) -> str:
    assert him.post(reverse("witnesses:contact_revoke", args=[pat.pk])).status_code == 302
    return "Pat (neighbour)"


def withdraw(owner: Any, him: Any, pat: Witness) -> str:
    entry = owner.sentinel_entry
    response = him.post(reverse("diary:entry_withdraw", args=[entry.pk]), {"reason": "gone"})
    assert response.status_code == 302
    return f"#{entry.number}"


def withdraw_by_api(owner: Any, him: Any, pat: Witness) -> str:
    entry = owner.sentinel_entry
    response = him.post(
        f"/api/entries/{entry.pk}/withdraw/", {"reason": "gone"}, content_type="application/json"
    )
    assert response.status_code == 201
    return f"#{entry.number}"


def keep_aside(owner: Any, him: Any, pat: Witness) -> str:
    report = a_report(owner, pat)
    response = him.post(reverse("witnesses:keep_aside", args=[report.pk]), {"reason": "not him"})
    assert response.status_code == 302
    return f"Kim (friend) · {report.reference}"


def edit_brief(owner: Any, him: Any, pat: Witness) -> str:
    response = him.put(
        "/api/brief/",
        {"person": "someone else", "vehicles": "", "places": "", "what_to_record": ""},
        content_type="application/json",
    )
    assert response.status_code == 200
    return "v1"


def download_evidence(owner: Any, him: Any, pat: Witness) -> str:
    evidence = evidence_attach(entry=owner.sentinel_entry, actor=owner, upload=upload())
    assert him.get(reverse("diary:evidence_original", args=[evidence.pk])).status_code == 200
    return evidence.download_name


def download_a_contacts_file(owner: Any, him: Any, pat: Witness) -> str:
    report = a_report(owner, pat)
    file = SubmissionFile.objects.get(submission=report)
    url = reverse("witnesses:file_original", args=[file.pk])
    assert him.get(url).status_code == 200
    return f"{file.pk}{file.extension}"


ACTIONS: dict[str, tuple[str, Callable[..., str]]] = {
    "contact invited (API)": (Kind.WITNESS_INVITED, invite_by_api),
    "contact invited (page)": (Kind.WITNESS_INVITED, invite_by_page),
    "what a contact sees changed": (Kind.WITNESS_SHARING, share_everything),
    "link extended": (Kind.LINK_EXTENDED, extend),
    "link replaced": (Kind.LINK_REPLACED, replace),
    "link stopped": (Kind.LINK_STOPPED, stop),
    "entry withdrawn (page)": (Kind.ENTRY_WITHDRAWN, withdraw),
    "entry withdrawn (API)": (Kind.ENTRY_WITHDRAWN, withdraw_by_api),
    "report kept aside": (Kind.REPORT_KEPT_ASIDE, keep_aside),
    "brief edited": (Kind.BRIEF_EDITED, edit_brief),
    "original downloaded": (Kind.ORIGINAL_DOWNLOADED, download_evidence),
    "contact's original downloaded": (Kind.ORIGINAL_DOWNLOADED, download_a_contacts_file),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_is_a_line_with_his_session_browser_and_address(owner, him, pat, action):
    kind, do = ACTIONS[action]
    detail = do(owner, him, pat)
    line = his_line(owner, him, kind)
    assert line.detail == detail
    assert line.count == 1


def test_the_access_log_page_names_each_kind_plainly(owner, him, pat):
    one_each = {kind: do for kind, do in ACTIONS.values()}
    for do in one_each.values():
        do(owner, him, pat)
    page = him.get(reverse("diary:access_log")).content.decode()
    for kind in one_each:
        assert str(Kind(kind).label).replace("'", "&#x27;") in page
    assert SENTINEL not in page


def test_each_line_says_which_session_did_it(owner, him, pat):
    her = browser()
    sign_in(her, owner.email)
    ACTIONS["contact invited (page)"][1](owner, him, pat)
    his = his_line(owner, him, Kind.WITNESS_INVITED)
    page = her.get(reverse("diary:access_log")).content.decode()
    line = page[page.index(str(Kind.WITNESS_INVITED.label)) :].split("</li>")[0]
    assert str(messages.ACCESS_OTHER_SESSION) in line
    assert his.session.first_seen.isoformat() in line
    assert str(messages.ACCESS_THIS_SESSION) not in line
    # Her own sign-in, read on her own page, is hers.
    mine = page[page.index(str(Kind.SIGN_IN.label)) :].split("</li>")[0]
    assert str(messages.ACCESS_THIS_SESSION) in mine


# Two-step sign-in: an app, recovery codes, passkeys


def test_turning_on_the_app_and_its_recovery_codes_are_lines(
    owner, him, django_capture_on_commit_callbacks
):
    page = him.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    # allauth tells of some of these once they have committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = him.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    added = AccessEvent.objects.filter(user=owner, kind=Kind.TWO_FACTOR_ADDED)
    # By their plain names, not allauth's ("TOTP Authenticator").
    assert sorted(added.values_list("detail", flat=True)) == [
        str(messages.SECOND_STEP_APP),
        str(messages.SECOND_STEP_RECOVERY_CODES),
    ]
    for line in added:
        assert (line.ip, line.browser) == (HIS_ADDRESS, "Chrome on Android")


def test_turning_off_the_app_is_a_line(owner, him):
    TOTP.activate(owner, generate_totp_secret())
    response = him.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    line = his_line(owner, him, Kind.TWO_FACTOR_REMOVED)
    assert line.detail == str(messages.SECOND_STEP_APP)


def test_a_passkey_added_is_a_line(owner, him, monkeypatch):
    from allauth.account.models import EmailAddress
    from allauth.mfa.webauthn.internal import auth as webauthn

    class Binding:
        def is_user_verified(self) -> bool:
            return True

    EmailAddress.objects.filter(user=owner).update(verified=True)
    # No browser here to make a real credential: what a browser would send is taken as read.
    monkeypatch.setattr(webauthn, "parse_registration_response", lambda credential: None)
    monkeypatch.setattr(webauthn, "complete_registration", lambda credential: Binding())
    response = him.post(
        reverse("mfa_add_webauthn"), {"name": "his key", "credential": '{"id": "x"}'}
    )
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.WEBAUTHN).exists()
    details = AccessEvent.objects.filter(user=owner, kind=Kind.TWO_FACTOR_ADDED).values_list(
        "detail", flat=True
    )
    assert str(messages.SECOND_STEP_PASSKEY) in details


def test_recovery_codes_shown_downloaded_and_made_anew_are_lines(
    owner, him, django_capture_on_commit_callbacks
):
    TOTP.activate(owner, generate_totp_secret())
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(owner)
    assert him.get(reverse("mfa_view_recovery_codes")).status_code == 200
    line = his_line(owner, him, Kind.RECOVERY_CODES_VIEWED)
    assert line.detail == ""  # never the codes
    assert him.get(reverse("mfa_download_recovery_codes")).status_code == 200
    line.refresh_from_db()
    assert line.count == 2  # shown, then sent as a file: one line, counted

    with django_capture_on_commit_callbacks(execute=True):
        response = him.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    his_line(owner, him, Kind.RECOVERY_CODES_NEW)


def test_not_shown_without_confirming_is_not_a_line(owner):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    client = browser()
    sign_in(client, owner.email)
    TOTP.activate(owner, generate_totp_secret())
    RecoveryCodes.activate(owner)
    response = client.get(reverse("mfa_view_recovery_codes"))
    assert response.status_code == 302  # sent to confirm it is you first
    assert not AccessEvent.objects.filter(kind=Kind.RECOVERY_CODES_VIEWED).exists()
