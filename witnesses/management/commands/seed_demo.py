"""A demo diary to look around in: a few weeks of notes, photos and kept items, ending now,
with the trusted contacts side working too: a brief, three witnesses, what they sent and what
the owner decided about it.

The story and its writing live in witnesses/demo/ (the builder the benchmarks, the load test and
the tests use too): everything goes through the services, so the demo's ledger verifies like any
other diary's. This command makes the demo owner, asks for the story and says what it made.
Running it again when the demo owner exists changes nothing.
"""

import re
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from diary.models import Entry, Evidence, Item, RiskChecklist, User
from diary.records import services
from witnesses.demo.builder import build_demo
from witnesses.models import Decision, FollowUp, SharedEntry, Submission, Witness

DEMO_EMAIL = "demo@example.com"
DEFAULT_PASSWORD = "demo-notes-2026"  # noqa: S105 (a demo account, printed on purpose)
DEMO_TIME_ZONE = "Europe/London"
# Where the app is served, for the links printed (`make seed` passes its HOST and PORT).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BASE_URL = re.compile(r"https?://[^/\s]+")
SEED = 2026


class Command(BaseCommand):
    help = (
        f"Make a demo diary to look around in: sign in as {DEMO_EMAIL}. Does nothing if that "
        "owner already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Seed even on a server with HTTPS on."
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"The demo owner's password (default: {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"Where the app is served, for the links printed (default: {DEFAULT_BASE_URL}).",
        )

    def handle(
        self,
        *args: Any,
        password: str = DEFAULT_PASSWORD,
        base_url: str = DEFAULT_BASE_URL,
        **options: Any,
    ) -> None:
        base_url = base_url.rstrip("/")
        if not BASE_URL.fullmatch(base_url):
            raise CommandError(f"--base-url must be like {DEFAULT_BASE_URL}, not {base_url!r}.")
        login_url = f"{base_url}/accounts/login/"
        if settings.HTTPS and not options.get("force"):
            # A published password must not open an account on a real, public server.
            raise CommandError(
                "HTTPS is on, so this looks like a real server: the demo account's password is "
                "public. Use --force if you really want a demo diary here."
            )
        if User.objects.filter(email__iexact=DEMO_EMAIL).exists():
            self.stdout.write(
                f"The demo diary is already there: sign in at {login_url} as {DEMO_EMAIL}. "
                "Nothing was changed."
            )
            return

        with transaction.atomic():
            demo = build_demo(owner=_demo_owner(password), seed=SEED)
        assert demo.shown is not None
        diary, name, token = demo.diary, demo.shown.witness.name, demo.shown.token

        entries = Entry.objects.filter(diary=diary)
        withdrawn = entries.filter(withdrawal__isnull=False).count()
        self.stdout.write(self.style.SUCCESS("Made a demo diary."))
        self.stdout.write(f"  Sign in at {login_url}")
        self.stdout.write(f"  E-mail:   {DEMO_EMAIL}")
        self.stdout.write(f"  Password: {password}")
        self.stdout.write(
            f"  {entries.count()} entries ({withdrawn} withdrawn), "
            f"{Evidence.objects.filter(diary=diary).count()} files, "
            f"{Item.objects.filter(diary=diary).count()} items, "
            f"{RiskChecklist.objects.filter(diary=diary).count()} risk checklist."
        )
        submissions = Submission.objects.filter(diary=diary)
        decisions = Decision.objects.filter(submission__diary=diary)
        self.stdout.write(
            f"  {Witness.objects.filter(diary=diary).count()} witnesses, "
            f"{submissions.count()} submissions "
            f"({submissions.filter(decision__isnull=True).count()} pending, "
            f"{decisions.filter(outcome=Decision.Outcome.ACCEPTED).count()} added, "
            f"{decisions.filter(outcome=Decision.Outcome.KEPT_ASIDE).count()} kept aside), "
            f"{FollowUp.objects.filter(submission__diary=diary).count()} follow-up, "
            f"{SharedEntry.objects.filter(entry__diary=diary, unshared_at__isnull=True).count()} "
            "entries shared."
        )
        self.stdout.write(f"  See what a witness sees ({name}'s link, best in a private window):")
        self.stdout.write(f"  {base_url}/w/{token}")
        self.stdout.write(
            "  Links are shown once, by design: this one is not kept anywhere and will not be "
            "printed again. To get another, make a new link for the witness in the diary."
        )


def _demo_owner(password: str) -> User:
    """The demo account, its address confirmed, and its diary, kept in London's time."""
    user = User.objects.create_user(email=DEMO_EMAIL, password=password)
    EmailAddress.objects.create(user=user, email=DEMO_EMAIL, verified=True, primary=True)
    services.diary_create(owner=user, time_zone=DEMO_TIME_ZONE)
    return user
