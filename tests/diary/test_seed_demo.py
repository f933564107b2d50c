"""The demo seed. Files land in the per-test MEDIA_ROOT the root conftest sets."""

import io
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from diary.choices import Precision
from diary.ledger import ledger_verify
from diary.management.commands.seed_demo import DEFAULT_PASSWORD, DEMO_EMAIL
from diary.models import Entry, EntryVersion, Evidence, Item, ItemVersion, User

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
    handed = items.filter(current__exhibit_reference="JS/1").get()
    assert handed.versions.count() == 2
    assert handed.current.police_handed_at >= handed.current.found_at

    result = ledger_verify()
    assert result.ok, result.problem

    assert "http://127.0.0.1:8000/accounts/login/" in output
    assert DEMO_EMAIL in output
    assert DEFAULT_PASSWORD in output


def test_demo_text_avoids_the_words_the_product_avoids() -> None:
    seed()
    words = ("stalk", "victim")
    for version in EntryVersion.objects.all():
        text = " ".join(str(value) for value in version.content().values()).lower()
        assert not any(word in text for word in words), version
    for version in ItemVersion.objects.all():
        text = " ".join(str(value) for value in version.content().values()).lower()
        assert not any(word in text for word in words), version


def test_seeding_twice_changes_nothing() -> None:
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "already" in output
    assert DEMO_EMAIL in output
    assert ledger_verify().ok


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
