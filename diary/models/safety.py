"""Account safety: the owner's signed-in sessions, the access log, and notes seen once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary.core.fields import EncryptedCharField


# Account safety: the owner's signed-in sessions, what the access log shows, notes seen once.
class OwnerSession(models.Model):
    """One signed-in browser of an owner, from sign-in until it ends. The owner sees these and
    can end any of them. `session_key` names Django's session, so ending deletes it."""

    class Ended(models.TextChoices):
        SIGNED_OUT = "signed_out", _("Signed out")
        ENDED = "ended", _("Ended from another session")
        ENDED_ALL = "ended_all", _("Ended with “sign out everywhere else”")
        IDLE = "idle", _("Signed out after a while without use")
        TOO_LONG = "too_long", _("Signed out after the longest time allowed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owner_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    browser = models.CharField(max_length=80, blank=True)
    # Encrypted: an address can tell where the owner is staying.
    ip = EncryptedCharField(max_length=45, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now, editable=False)
    # Written at most once a minute (diary.safety.sessions.SEEN_EVERY), never on every request.
    last_seen = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_how = models.CharField(max_length=16, choices=Ended.choices, blank=True)

    class Meta:
        indexes = [
            # The sessions page: an owner's sessions still open.
            models.Index(fields=["user", "ended_at"], name="owner_session_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_how="")
                | Q(ended_at__isnull=False) & ~Q(ended_how=""),
                name="owner_session_ended_with_how",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"


class AccessEvent(models.Model):
    """One line of the owner's access log: sign-ins and refused tries, sessions ended, bundles
    made and downloaded, contacts' devices opening a link or visiting, and everything that
    grants access or takes evidence out of view. Never edited, except that a repeat of the same
    event from the same session or device within FOLD_WINDOW adds to its `count` and moves its
    `last_at` (diary.safety.services.access_event_record), so a flood is one line."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in refused: wrong password")
        SECOND_STEP_FAILED = "second_step_failed", _("Right password, but the second step failed")
        SECOND_STEP_PAUSED = "second_step_paused", _("Codes paused after too many wrong ones")
        LOCKED_OUT = "locked_out", _("Sign-ins paused from one connection after failed tries")
        SIGN_OUT = "sign_out", _("Signed out")
        SESSION_ENDED = "session_ended", _("A session was ended")
        SESSIONS_ENDED = "sessions_ended", _("Every other session was ended")
        TIMED_OUT = "timed_out", _("Signed out automatically")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by e-mail")
        EMAIL_ADDED = "email_added", _("E-mail address added")
        EMAIL_CONFIRMED = "email_confirmed", _("E-mail address confirmed")
        EMAIL_REMOVED = "email_removed", _("E-mail address removed")
        EMAIL_CHANGED = "email_changed", _("E-mail address made the main one")
        TWO_FACTOR_ADDED = "two_factor_added", _("Two-step sign-in added")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Two-step sign-in removed")
        RECOVERY_CODES_VIEWED = "recovery_codes_viewed", _("Recovery codes shown")
        RECOVERY_CODES_NEW = "recovery_codes_new", _("New recovery codes made")
        WITNESS_INVITED = "witness_invited", _("Contact invited")
        WITNESS_SHARING = "witness_sharing", _("What a contact sees changed")
        LINK_EXTENDED = "link_extended", _("A contact's link extended")
        LINK_REPLACED = "link_replaced", _("A contact's link replaced")
        LINK_STOPPED = "link_stopped", _("A contact's link stopped")
        ENTRY_WITHDRAWN = "entry_withdrawn", _("Entry withdrawn from the timeline")
        REPORT_KEPT_ASIDE = "report_kept_aside", _("A contact's report kept aside")
        BRIEF_EDITED = "brief_edited", _("What contacts are shown edited")
        ORIGINAL_DOWNLOADED = "original_downloaded", _("Original file downloaded")
        EXPORT = "export", _("Bundle made")
        EXPORT_DOWNLOAD = "export_download", _("Bundle downloaded")
        HEAD_DOWNLOAD = "head_download", _("A signed copy of the diary's head downloaded")
        WITNESS_DEVICE = "witness_device", _("A contact's link opened on a new device")
        WITNESS_VISIT = "witness_visit", _("A contact's device visited")
        WITNESS_REFUSED = "witness_refused", _("A contact's link was refused on another device")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_events"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, editable=False)
    browser = models.CharField(max_length=80, blank=True)
    # Encrypted: an address can tell where the owner is staying.
    ip = EncryptedCharField(max_length=45, null=True, blank=True)
    # Which of the owner's sessions did it, or was ended; blank for the rest.
    session = models.ForeignKey(
        OwnerSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A short note: which contact, which bundle. Never entry text. Encrypted: it names people.
    detail = EncryptedCharField(max_length=200, blank=True)
    # Folding: how many times this happened, and when last (browser, address and detail are
    # the last one's). `fold_key` is an HMAC of what makes a repeat the same event (kind, who,
    # what), so the lookup needs neither the sealed address nor the sealed detail.
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(default=timezone.now)
    fold_key = models.CharField(max_length=32, blank=True, editable=False)
    # Shown to the owner on every page until she says she has seen it: a password reset, an
    # address added or confirmed.
    notice_open = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # The access log page: one owner's lines, the latest to happen (again) first.
            models.Index(fields=["user", "-last_at", "-id"], name="access_event_recent"),
            # A repeat finds the line it folds into.
            models.Index(fields=["user", "fold_key", "-last_at"], name="access_event_fold"),
            # Every page asks for the owner's open notices: only those rows are indexed.
            models.Index(
                fields=["user"], condition=Q(notice_open=True), name="access_event_notice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Notice(models.Model):
    """A note shown until the owner has read it once (the quick exit's limits, the welcome)."""

    class Kind(models.TextChoices):
        QUICK_EXIT = "quick_exit", _("What the quick exit cannot do")
        WELCOME = "welcome", _("Welcome: a safe device and two-step sign-in")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    seen_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} seen by user {self.user_id}"
