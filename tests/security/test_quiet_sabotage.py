"""He has an open session of hers and, without a trace, removes evidence from view or carries it
off: withdraws entries (which drops them from later bundles), keeps reports aside, rewrites the
brief, ends her other sessions, downloads every original or reads every entry through the API.
Each needs a recent confirmation that it is her, on the pages and on the API alike; one
confirmation covers a few minutes of such work, then it lapses."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.evidence.services import evidence_attach
from diary.models import EntryWithdrawal, OwnerSession
from tests.factories import jpeg_bytes, upload
from tests.security.conftest import HER_PHONE, PASSWORD, SENTINEL, body, browser, sign_in
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client
from witnesses.models import BriefVersion, Decision, SubmissionFile

BRIEF = {
    "person": "Nobody, nothing to see",
    "vehicles": "",
    "places": "",
    "what_to_record": "",
    "safety": "",
}


@dataclass
class World:
    owner: Any
    him: Any  # the open session he sits at: signed in, never confirmed
    her_laptop: Any  # another session of hers
    entry_id: int
    evidence_id: int
    submission_id: int
    file_id: int


@pytest.fixture
def world(owner):
    evidence = evidence_attach(entry=owner.sentinel_entry, actor=owner, upload=upload())
    _, token = make_witness(owner)
    submission = make_submission(
        device_of(witness_api_client(token)), uploads=[upload("car.jpg", jpeg_bytes())]
    )
    her_laptop = browser(agent=HER_PHONE)
    sign_in(her_laptop, owner.email)
    him = browser()
    sign_in(him, owner.email)
    assert him.get(reverse("diary:timeline")).status_code == 200
    return World(
        owner=owner,
        him=him,
        her_laptop=her_laptop,
        entry_id=owner.sentinel_entry.pk,
        evidence_id=evidence.pk,
        submission_id=submission.pk,
        file_id=SubmissionFile.objects.get(submission=submission).pk,
    )


def api(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def open_sessions(owner):
    return OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count()


def nothing_changed(world):
    assert not EntryWithdrawal.objects.exists()
    assert not Decision.objects.exists()
    assert not BriefVersion.objects.exists()
    assert open_sessions(world.owner) == 2
    assert world.her_laptop.get(reverse("diary:timeline")).status_code == 200


# What he tries, each on a page (a 302 to the confirmation) and on the API (a 403).
PAGES = {
    "withdraw": lambda w: w.him.post(
        reverse("diary:entry_withdraw", args=[w.entry_id]), {"reason": "mistake"}
    ),
    "withdraw form": lambda w: w.him.get(reverse("diary:entry_withdraw", args=[w.entry_id])),
    "keep aside": lambda w: w.him.post(
        reverse("witnesses:keep_aside", args=[w.submission_id]), {"reason": "spam"}
    ),
    "brief": lambda w: w.him.post(reverse("witnesses:brief"), BRIEF),
    "brief form": lambda w: w.him.get(reverse("witnesses:brief")),
    "end one session": lambda w: w.him.post(
        reverse(
            "diary:session_end",
            args=[OwnerSession.objects.filter(user=w.owner).order_by("pk").first().pk],
        )
    ),
    "end every other session": lambda w: w.him.post(reverse("diary:sessions_end_others")),
    "original": lambda w: w.him.get(reverse("diary:evidence_original", args=[w.evidence_id])),
    "original sent by a contact": lambda w: w.him.get(
        reverse("witnesses:file_original", args=[w.file_id])
    ),
}
API = {
    "withdraw": lambda w: api(
        w.him, "post", f"/api/entries/{w.entry_id}/withdraw/", {"reason": "mistake"}
    ),
    "keep aside": lambda w: api(
        w.him, "post", f"/api/inbox/{w.submission_id}/hide/", {"reason": "spam"}
    ),
    "brief": lambda w: api(w.him, "put", "/api/brief/", {"person": BRIEF["person"]}),
    "original": lambda w: w.him.get(f"/api/evidence/{w.evidence_id}/original"),
    "every entry": lambda w: w.him.get("/api/entries/"),
    "one entry in full": lambda w: w.him.get(f"/api/entries/{w.entry_id}/"),
    # What contacts sent, accepted ones (entries) too, every word in one answer.
    "every report": lambda w: w.him.get("/api/inbox/?status=all"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_an_open_session_is_sent_to_confirm_first_on_the_page(world, name):
    response = PAGES[name](world)
    assert response.status_code == 302, name
    assert response.url.startswith(reverse("account_reauthenticate")), name
    assert SENTINEL not in body(response)
    nothing_changed(world)


@pytest.mark.parametrize("name", sorted(API))
def test_an_open_session_is_refused_on_the_api(world, name):
    response = API[name](world)
    assert response.status_code == 403, name
    assert response.json()["detail"] == str(messages.CONFIRM_FIRST)
    assert response.json()["confirm_url"].startswith(reverse("account_reauthenticate"))
    assert SENTINEL not in body(response)
    nothing_changed(world)


def test_her_own_timeline_page_needs_no_confirmation(world):
    response = world.him.get(reverse("diary:timeline"))
    assert response.status_code == 200
    assert SENTINEL in body(response)


def test_confirming_carries_on_with_what_was_asked(world):
    response = PAGES["withdraw"](world)
    response = world.him.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    withdrawal = EntryWithdrawal.objects.get()
    assert (withdrawal.entry_id, withdrawal.reason) == (world.entry_id, "mistake")


def test_one_confirmation_covers_a_few_minutes_of_work_then_lapses(world):
    her = world.him  # now it is her, at her own session
    start = timezone.now()
    response = her.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    with time_machine.travel(start + timedelta(minutes=1)):
        entries = API["every entry"](world)
        assert entries.status_code == 200
        assert SENTINEL in body(entries)
        assert API["one entry in full"](world).status_code == 200
        assert API["original"](world).status_code == 200
        assert PAGES["original sent by a contact"](world).status_code == 200
        assert API["brief"](world).status_code == 200
        assert BriefVersion.objects.count() == 1
    with time_machine.travel(start + timedelta(minutes=4)):
        assert API["keep aside"](world).status_code == 200
        assert Decision.objects.get().outcome == Decision.Outcome.KEPT_ASIDE
        assert PAGES["end every other session"](world).status_code == 302
        assert open_sessions(world.owner) == 1
        assert world.her_laptop.get(reverse("diary:timeline")).status_code == 302
    with time_machine.travel(start + timedelta(minutes=6)):
        # The confirmation has lapsed: asked again, and nothing is withdrawn.
        response = API["withdraw"](world)
        assert response.status_code == 403
        assert API["every entry"](world).status_code == 403
        response = PAGES["withdraw"](world)
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert not EntryWithdrawal.objects.exists()
