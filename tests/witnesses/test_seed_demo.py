"""The demo seed, witnesses included. Files land in the per-test MEDIA_ROOT the root conftest
sets; tests/witnesses/conftest.py empties the cache."""

import io
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from diary.ledger.verify import ledger_verify
from diary.models import Entry, EntryVersion, Evidence, Item, ItemVersion, RiskChecklist, User
from diary.models.choices import Precision
from tests.witnesses.conftest import opened
from witnesses.management.commands.seed_demo import DEFAULT_PASSWORD, DEMO_EMAIL
from witnesses.models import (
    DEFAULT_SAFETY,
    BriefVersion,
    Decision,
    FollowUp,
    SharedEntry,
    Submission,
    SubmissionFile,
    Witness,
    WitnessDevice,
    WitnessLink,
)
from witnesses.services.links import token_sha256

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "entries": Entry.objects.count(),
        "versions": EntryVersion.objects.count(),
        "evidence": Evidence.objects.count(),
        "items": Item.objects.count(),
        "item_versions": ItemVersion.objects.count(),
        "witnesses": Witness.objects.count(),
        "links": WitnessLink.objects.count(),
        "devices": WitnessDevice.objects.count(),
        "briefs": BriefVersion.objects.count(),
        "submissions": Submission.objects.count(),
        "submission_files": SubmissionFile.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "decisions": Decision.objects.count(),
        "shared": SharedEntry.objects.count(),
        "checklists": RiskChecklist.objects.count(),
    }


def test_seed_makes_a_demo_diary_whose_ledger_verifies() -> None:
    output = seed()

    user = User.objects.get(email=DEMO_EMAIL)
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.diary.time_zone == "Europe/London"
    assert EmailAddress.objects.filter(
        user=user, email=DEMO_EMAIL, verified=True, primary=True
    ).exists()

    entries = Entry.objects.filter(diary=user.diary)
    assert entries.count() > 10
    assert entries.annotate(n=Count("versions")).filter(n__gt=1).exists()
    assert entries.filter(withdrawal__isnull=False).count() == 1
    assert entries.filter(current__precision=Precision.RANGE).exists()
    assert entries.filter(current__police_reported=True).exists()
    latest_allowed = timezone.now() + timedelta(minutes=settings.FUTURE_TOLERANCE_MINUTES)
    for version in EntryVersion.objects.filter(entry__diary=user.diary):
        assert version.occurred_start <= latest_allowed
        assert version.occurred_end is None or version.occurred_end <= latest_allowed

    evidence = Evidence.objects.filter(diary=user.diary)
    assert evidence.count() >= 3
    for each in evidence:
        assert default_storage.exists(each.original.name)
        assert each.preview and default_storage.exists(each.preview.name)
        assert each.device_time is not None
        # The claimed capture time is close to when the incident it belongs to happened.
        assert each.device_time >= each.entry.current.occurred_start

    items = Item.objects.filter(diary=user.diary)
    assert items.count() >= 2
    # Exhibit references are encrypted: the database cannot filter on them.
    (handed,) = [
        item for item in items.select_related("current") if item.current.exhibit_reference == "JS/1"
    ]
    assert handed.versions.count() == 2
    assert handed.current.police_handed_at >= handed.current.found_at

    checklist = RiskChecklist.objects.get(diary=user.diary)
    # What the diary shows is confirmed; the owner's own answers and notes are kept.
    assert checklist.answers["loitering"]["answer"] == "yes"
    assert checklist.answers["approaches_others"]["answer"] == "yes"
    assert checklist.answers["wellbeing"]["note"].startswith("Not sleeping")

    result = ledger_verify()
    assert result.ok, result.problem

    assert "http://127.0.0.1:8000/accounts/login/" in output
    assert DEMO_EMAIL in output
    assert DEFAULT_PASSWORD in output


def test_seed_shows_the_witness_side_working() -> None:
    output = seed()
    diary = User.objects.get(email=DEMO_EMAIL).diary

    witnesses = Witness.objects.filter(diary=diary)
    assert witnesses.count() == 3
    assert set(witnesses.values_list("sharing", flat=True)) == {"brief", "marked", "all"}
    # Each opened their link on a phone.
    for witness in witnesses:
        assert WitnessDevice.objects.filter(link__witness=witness).count() == 1

    brief = BriefVersion.objects.get(diary=diary)
    assert "J." in brief.person
    assert brief.safety == str(DEFAULT_SAFETY)

    submissions = Submission.objects.filter(diary=diary)
    assert submissions.count() >= 4
    assert submissions.filter(decision__isnull=True).count() >= 1
    accepted = Decision.objects.filter(
        submission__diary=diary, outcome=Decision.Outcome.ACCEPTED
    ).select_related("entry", "submission")
    assert accepted.count() >= 1
    for decision in accepted:
        assert decision.entry.source == Entry.Source.WITNESS
        assert decision.entry.reported_by == decision.submission.witness.attribution
        assert decision.entry.received_at == decision.submission.received_at
    kept_aside = Decision.objects.filter(
        submission__diary=diary, outcome=Decision.Outcome.KEPT_ASIDE
    )
    assert kept_aside.count() >= 1
    assert all(decision.reason for decision in kept_aside)
    assert FollowUp.objects.filter(submission__diary=diary).exists()
    for submission in submissions:
        assert submission.occurred_start <= submission.received_at

    # The witness's photo is kept byte-exact and, once accepted, is evidence on the entry.
    files = SubmissionFile.objects.filter(submission__diary=diary)
    assert files.count() >= 1
    for file in files:
        assert default_storage.exists(file.original.name)
        assert file.device_time is not None
        assert file.device_time >= file.submission.occurred_start
    assert Evidence.objects.filter(entry__source=Entry.Source.WITNESS).exists()

    shared = SharedEntry.objects.filter(entry__diary=diary, unshared_at__isnull=True)
    assert shared.count() == 2

    result = ledger_verify()
    assert result.ok, result.problem

    # One link is printed, and it opens a witness session; the token is stored nowhere.
    links = re.findall(r"http://127\.0\.0\.1:8000/w/(\S+)", output)
    assert len(links) == 1
    assert WitnessLink.objects.filter(token_sha256=token_sha256(links[0])).exists()
    assert not WitnessLink.objects.filter(token_sha256=links[0]).exists()
    client = opened(links[0])
    page = client.get("/w/")
    assert page.status_code == 200
    assert "KX19 ABC" in page.content.decode()  # the brief
    assert "3 witnesses" in output
    assert "pending" in output and "added" in output and "kept aside" in output


def test_demo_text_avoids_the_words_the_product_avoids() -> None:
    seed()
    words = ("stalk", "victim")
    for version in EntryVersion.objects.all():
        text = " ".join(str(value) for value in version.content().values()).lower()
        assert not any(word in text for word in words), version
    for version in ItemVersion.objects.all():
        text = " ".join(str(value) for value in version.content().values()).lower()
        assert not any(word in text for word in words), version
    for brief in BriefVersion.objects.all():
        text = " ".join(str(brief.ledger_content()[name]) for name in brief.CONTENT_FIELDS)
        assert not any(word in text.lower() for word in words), brief
    for submission in Submission.objects.all():
        text = " ".join(str(value) for value in submission.content().values()).lower()
        assert not any(word in text for word in words), submission
    for follow_up in FollowUp.objects.all():
        assert not any(word in follow_up.text.lower() for word in words), follow_up
    for decision in Decision.objects.all():
        assert not any(word in decision.reason.lower() for word in words), decision
    for witness in Witness.objects.all():
        assert not any(word in witness.name.lower() for word in words), witness


def test_seeding_twice_changes_nothing() -> None:
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "already" in output
    assert DEMO_EMAIL in output
    assert "/w/" not in output  # a link's token is shown once, when it is made
    assert ledger_verify().ok


def test_links_name_the_address_the_app_is_served_on() -> None:
    output = seed("--base-url", "http://192.168.1.20:8080/")

    assert "Sign in at http://192.168.1.20:8080/accounts/login/" in output
    assert "127.0.0.1:8000" not in output
    (token,) = re.findall(r"http://192\.168\.1\.20:8080/w/(\S+)", output)
    assert opened(token).get("/w/").status_code == 200
    again = seed("--base-url", "http://192.168.1.20:8080")
    assert "sign in at http://192.168.1.20:8080/accounts/login/" in again


def test_a_base_url_that_is_not_one_is_refused() -> None:
    for wrong in ("192.168.1.20:8080", "http://", "http://host/path", "ftp://host"):
        with pytest.raises(
            CommandError, match=re.escape("--base-url must be like http://127.0.0.1:8000")
        ):
            seed("--base-url", wrong)
    assert not User.objects.exists()


def test_password_option() -> None:
    seed("--password", "another-pass-phrase")

    user = User.objects.get(email=DEMO_EMAIL)
    assert user.check_password("another-pass-phrase")
    assert not user.check_password(DEFAULT_PASSWORD)


def test_it_refuses_on_a_real_server_unless_forced(settings):
    settings.HTTPS = True
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert User.objects.filter(email="demo@example.com").exists()
