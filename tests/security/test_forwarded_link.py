"""Her neighbour's invite link reached him (a forwarded message, a glance at a phone)."""

from django.urls import reverse

from diary.models import AccessEvent, Entry
from tests.factories import make_entry
from tests.security.conftest import HER_PHONE, SENTINEL, body, browser
from witnesses.models import Decision, Submission, WitnessDevice
from witnesses.selectors import inbox_list
from witnesses.services.brief import brief_update
from witnesses.services.links import witness_invite
from witnesses.services.sharing import entry_share

BRIEF = "Tall man, grey Ford Focus"


def invite_pat(owner):
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={"person": BRIEF, "vehicles": "", "places": "", "what_to_record": ""},
    )
    witness_invite(diary=owner.diary, actor=owner, name="Jo Marchbank", relationship="friend")
    return witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")


def test_he_sees_only_the_brief_and_what_he_sends_waits(owner):
    shared = make_entry(owner, what_happened="SHARED only with some")
    entry_share(entry=shared, actor=owner)
    witness, token = invite_pat(owner)
    pat = browser(agent=HER_PHONE)
    assert pat.get(f"/w/{token}").status_code == 302

    him = browser()
    response = him.get(f"/w/{token}")
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    page = body(him.get(reverse("witness:home")))
    assert BRIEF in page
    for secret in (SENTINEL, "SHARED only with some", "Marchbank", owner.email):
        assert secret not in page
    timeline = him.get("/api/witness/timeline/").json()
    assert timeline["results"] == []
    # He cannot reach her pages either.
    assert him.get(reverse("diary:timeline")).status_code == 302
    assert him.get(reverse("diary:entry", args=[owner.sentinel_entry.pk])).status_code == 302

    entries_before = Entry.objects.filter(diary=owner.diary).count()
    response = him.post(
        reverse("witness:home"),
        {
            "kind": "saw",
            "occurred_start": "2026-11-20T17:30",
            "precision": "exact",
            "what_happened": "She was seen with someone else.",
            "statement": "no",
        },
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    # It waits in her inbox, undecided, and is not in her timeline.
    assert not Decision.objects.filter(submission=submission).exists()
    assert list(inbox_list(actor=owner)) == [submission]
    assert Entry.objects.filter(diary=owner.diary).count() == entries_before

    # She sees a second device on Pat's link, and it is in her access log.
    assert WitnessDevice.objects.filter(link__witness=witness).count() == 2
    contact = body(owner_client(owner).get(reverse("witnesses:contact", args=[witness.pk])))
    assert "Chrome on Android" in contact and "Safari on iPhone" in contact
    assert "opened on more than one phone" in contact
    opened = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.WITNESS_DEVICE)
    assert sorted(opened.values_list("browser", flat=True)) == [
        "Chrome on Android",
        "Safari on iPhone",
    ]
    assert set(opened.values_list("detail", flat=True)) == {"Pat (neighbour)"}
    log = body(owner_client(owner).get(reverse("diary:access_log")))
    assert "A contact&#x27;s link opened on a new device" in log


def owner_client(owner):
    client = browser(agent=HER_PHONE)
    client.force_login(owner)
    return client
