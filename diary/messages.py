"""Every error message an owner can see, in one place, so tests can assert them exactly."""

from django.utils.translation import gettext_lazy as _

WHEN_IN_FUTURE = _("That time is in the future. Check the date and time.")
WHEN_TOO_EARLY = _("That date is too far in the past. Check the year.")
RANGE_NEEDS_END = _("Add the end time, or choose another option for how exact the time is.")
END_BEFORE_START = _("The end time is before the start time.")
END_ONLY_FOR_RANGE = _("An end time only goes with “Between two times”.")
LAT_LONG_TOGETHER = _("Give both latitude and longitude, or neither.")
HANDED_BEFORE_FOUND = _("It cannot have been handed over before it was found.")
UNKNOWN_CHOICE = _("Choose from the list.")
UNKNOWN_TIME_ZONE = _("Choose a time zone from the list.")
DATE_RANGE_REVERSED = _("The “to” date is before the “from” date.")
YEAR_OUT_OF_RANGE = _("Choose a year between 1900 and 2100.")

FILE_EMPTY = _("That file is empty.")
FILE_TOO_LARGE = _("That file is larger than %(limit)s. Choose a smaller file.")
BODY_TOO_LARGE = _(
    "That is more than can be sent at once. Send fewer or smaller files: "
    "each can be up to %(limit)s."
)
FILE_TYPE_NOT_ALLOWED = _(
    "Only photos, videos, audio recordings, PDFs and Word documents can be kept. "
    "This file's content is none of those."
)
FILE_KIND_MISMATCH = _(
    "That file is %(actual)s, not %(chosen)s. "
    "Choose another kind, or let it be worked out from the file."
)
CHOOSE_FILE_AGAIN = _(
    "Your file was not kept, because something else needs fixing. Choose it again."
)
FILE_EXTENSION_LIES = _(
    "This file's name ends in “%(extension)s” but its content is %(actual)s. "
    "Choose the original file."
)

IMAGE_TOO_LARGE = _(
    "This image has more pixels than can be taken in. "
    "Send a smaller copy, and keep the original safe."
)
IMAGE_DAMAGED = _(
    "This image is damaged or incomplete, so it cannot be kept. Choose the original file again."
)

ALREADY_WITHDRAWN = _("This entry has already been withdrawn.")
ENTRY_WITHDRAWN_NO_CHANGES = _("This entry has been withdrawn, so it cannot be changed.")

SIGNED_OUT_IDLE = _("You were signed out after a while without use. Sign in again to carry on.")
SIGNED_OUT_TOO_LONG = _("You were signed out because you had been signed in for a long time.")
SIGNED_OUT_ENDED = _("That session was ended. Sign in again to carry on.")
CONFIRM_FIRST = _(
    "Confirm it is you first: sign in again at the address given, then repeat this request."
)
IDEMPOTENCY_KEY_INVALID = _(
    "An Idempotency-Key is 1 to 255 letters, digits or punctuation marks, without spaces."
)
IDEMPOTENCY_KEY_REUSED = _(
    "This Idempotency-Key was already used for a different request. "
    "Use a new key for each new record, and the same key only to retry the same request."
)
FORM_SENT_BEFORE_DIFFERENTLY = _(
    "This form was already sent, with different details. "
    "Open it again to write something new; what you sent first is kept."
)
RESET_NEEDS_SECOND_STEP = _(
    "Two-step sign-in is on, so a new password also needs a code from your authenticator app. "
    "Lost your phone? Use one of your recovery codes instead."
)
RESET_SECOND_STEP_WRONG = _(
    "That code did not work. Try the code your app shows now, or one of your recovery codes."
)
SECOND_STEP_PAUSED = _(
    "Too many wrong codes for this account. Codes are paused for a while: please wait "
    "a quarter of an hour, then try again."
)

CALL_HOME_WARNING = _(
    "This file could tell whoever made it when and where it was opened. "
    "Open it only on a device that is not connected, or ask for help first."
)
CALL_HOME_REASONS = {
    "outside_link": _("It links to an outside image or page."),
    "opens_address": _("It opens a web address when opened."),
    "script": _("It contains a script."),
    "embedded_file": _("It carries another file inside it."),
    "unchecked": _("It could not be checked to the end."),
}
