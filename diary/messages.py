"""Every error message an owner can see, in one place, so tests can assert them exactly."""

from django.utils.translation import gettext_lazy as _

WHEN_IN_FUTURE = _("That time is in the future. Check the date and time.")
WHEN_TOO_EARLY = _("That date is too far in the past. Check the year.")
# The device's own clock, sent by the page or an app: only ever the device's claim.
DEVICE_TIME_BAD = _(
    "The time from this device could not be read. Give it in ISO 8601 with its UTC offset, "
    "like 2026-10-25T01:30:00+01:00, or leave it out."
)
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
FILE_NAMED = _("%(name)s: %(problem)s")
TOO_MANY_FILES_AT_ONCE = _("Send up to %(limit)s files at once.")
NONE_OF_THE_FILES_KEPT = _("None of the files were kept. Fix that one, then choose them all again.")
FILE_KIND_UNCHANGED = _("That is what it is shown as already.")
FILE_KIND_CORRECTED = _("Saved. The file is now shown as %(kind)s; the kind it came in as is kept.")
FILE_KIND_WAS = _("corrected from %(was)s")
FILE_KIND_CHANGE = _("What is it really?")
FILE_KIND_SAVE = _("Correct the kind")
MEDIA_PLAY = _("Play it here")
MEDIA_PLAY_CONFIRM = _("Confirm it is you, then play it here")
MEDIA_NO_PLAYER = _("Your browser cannot play this here. Download the original instead.")
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

# What an amendment changed (diary/records/differences.py): on the entry page, in the API and in
# the bundle's schedule of amendments.
CHANGE_WHEN = _("When it happened")
CHANGE_POSITION = _("Map position")
CHANGE_BLANK = _("(blank)")
CHANGE_YES = _("Yes")
CHANGE_NO = _("No")

SIGNED_OUT_IDLE = _("You were signed out after a while without use. Sign in again to carry on.")
SIGNED_OUT_TOO_LONG = _("You were signed out because you had been signed in for a long time.")
SIGNED_OUT_ENDED = _("That session was ended. Sign in again to carry on.")
CONFIRM_FIRST = _(
    "Please confirm it is you first, at the address given, then send this again. "
    "One confirmation covers the next few minutes."
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
RESET_SECOND_STEP_MISSING = _(
    "Enter the code your authenticator app shows now, or one of your recovery codes."
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
    "Read its safe view instead: a copy made here that cannot reach anyone. "
    "If you need the original, open it only on a device that is not connected, "
    "or ask for help first."
)
CALL_HOME_ORIGINAL = _(
    "The original could tell whoever made it when and where it was opened. "
    "Open it only on a device that is not connected, or ask for help first."
)
CALL_HOME_REASONS = {
    "outside_link": _("It links to an outside image or page."),
    "opens_address": _("It opens a web address when opened."),
    "script": _("It contains a script."),
    "embedded_file": _("It carries another file inside it."),
    "unchecked": _("It could not be checked to the end."),
}

SAFE_VIEW_LINK = _("Safe view")
SAFE_VIEW_TITLE = _("Safe view")
SAFE_VIEW_BACK = _("Back")
SAFE_VIEW_ABOUT = _(
    "This is a copy made here, as pictures of its pages or as its words. Links and pictures "
    "from elsewhere are left out, so reading it tells no one anything. "
    "The original is kept exactly as it came."
)
SAFE_VIEW_PAGE = _("Page %(number)s of %(count)s")
SAFE_VIEW_PAGES_CUT = _(
    "Only the first %(shown)s of its %(count)s pages are shown here. The rest are in the original."
)
SAFE_VIEW_BLANK_PAGE = _("A page too complex to draw safely stays blank.")
SAFE_VIEW_CANNOT_DRAW = _(
    "A safe view of this file could not be made. It may be damaged, locked with a password, "
    "or too complex. The original is kept exactly as it came."
)
SAFE_VIEW_NONE = _(
    "There is no safe view for this kind of file. The original is kept exactly as it came."
)
SAFE_VIEW_NO_TEXT = _("No words could be read from this file.")
DOWNLOAD_ORIGINAL_ANYWAY = _("Download the original anyway")
DOWNLOAD_ORIGINAL = _("Download the original")

# The lockout check (diary/safety: the sessions page and "sign out everywhere else" lead here)
LOCKOUT_TITLE = _("Check who can reach your diary")
LOCKOUT_INTRO = _(
    "Everything that can open your diary is listed here: where you are signed in, your "
    "contacts' links, your e-mail addresses and your second steps. Anything marked was made "
    "somewhere other than here, or lately. Look through it, then lock everyone else out."
)
LOCKOUT_LINK = _("Check who can reach your diary")
LOCKOUT_LINK_HELP = _(
    "Signing out is not all: contacts' links and extra e-mail addresses can reach your diary too."
)
LOCKOUT_SESSIONS = _("Where you are signed in")
LOCKOUT_THIS_SESSION = _("this one: it stays signed in")
LOCKOUT_OTHER_SESSION = _("will be signed out")
LOCKOUT_NO_OTHER_SESSIONS = _("You are signed in here only.")
LOCKOUT_ADDRESSES = _("Your e-mail addresses")
LOCKOUT_ADDRESSES_HELP = _(
    "A new password can be asked for at any of these. Choose the one address that is yours "
    "alone: every other one is removed."
)
LOCKOUT_KEEP_ADDRESS = _("Keep only this address")
LOCKOUT_ADDRESS_PRIMARY = _("the one you sign in with")
LOCKOUT_ADDRESS_UNCONFIRMED = _("not confirmed")
LOCKOUT_NO_ADDRESSES = _("No e-mail address is kept for this account.")
LOCKOUT_SECOND_STEPS = _("Your second steps")
LOCKOUT_AUTHENTICATOR_APP = _("Authenticator app, added")
LOCKOUT_PASSKEY = _("Passkey, added")
LOCKOUT_RECOVERY_CODES = _("Recovery codes: %(count)s left unused")
LOCKOUT_NO_RECOVERY_CODES = _("No recovery codes.")
LOCKOUT_NO_SECOND_STEP = _(
    "Signing in needs only your password. A second step (an app on your phone) keeps out "
    "someone who knows it."
)
LOCKOUT_SECOND_STEPS_HELP = _(
    "If you do not recognise one, remove it on the two-step sign-in page. If anyone could "
    "have seen your recovery codes, make new ones: the old ones stop working."
)
LOCKOUT_MANAGE_SECOND_STEPS = _("Two-step sign-in")
LOCKOUT_NEW_RECOVERY_CODES = _("Make new recovery codes")
LOCKOUT_ADD_SECOND_STEP = _("Add a second step")
LOCKOUT_ACTION = _("Lock everyone else out")
LOCKOUT_ACTION_HELP = _(
    "This signs out every other session, stops the contacts' links marked to stop, and "
    "removes every e-mail address but the one you chose. You will be asked to confirm it is "
    "you first. Afterwards, this page shows what is left."
)
LOCKOUT_CHOOSE_ADDRESS = _("Choose the address to keep.")
LOCKOUT_DONE = _("Done. Here is what is left: look through it once more.")
LOCKOUT_SESSIONS_DONE = _("Other sessions signed out: %(count)s.")
LOCKOUT_ADDRESSES_DONE = _("E-mail addresses removed: %(addresses)s.")
LOCKOUT_RECOVERY_CODES_NEXT = _("If anyone could have seen your recovery codes, make new ones now.")
LOCKOUT_CANNOT = _(
    "This cannot take back what was already read or downloaded, or reach copies someone "
    "already took. If someone knows your password, change it too."
)

# Shown on every page, and at the next sign-in, until the owner says she has seen it.
NOTICE_PASSWORD_RESET = _("Your password was reset from a link sent by e-mail.")
NOTICE_EMAIL_ADDED = _("An e-mail address was added to your account: %(detail)s.")
NOTICE_EMAIL_CONFIRMED = _("An e-mail address on your account was confirmed: %(detail)s.")
NOTICE_NOT_YOU = _(
    "If this was not you, someone else can sign in. One page shows everything that can reach "
    "your diary, and locks the rest out."
)
NOTICE_SEEN = _("Got it")

# The access log's lines: a second step by its plain name (allauth's says "TOTP Authenticator"),
# and which of her sessions did it.
SECOND_STEP_APP = _("Authenticator app")
SECOND_STEP_RECOVERY_CODES = _("Recovery codes")
SECOND_STEP_PASSKEY = _("Passkey")
ACCESS_THIS_SESSION = _("this session")
ACCESS_OTHER_SESSION = _("the session signed in")
ACCESS_WHILE_CONFIRMING = _("while confirming it is you")
FOLDED_TIMES = _("%(count)s times, last at")

# About the person (diary.person): what the owner knows of the person responsible.
PERSON_TITLE = _("About the person")
PERSON_INTRO = _(
    "Everything here is optional. Write what you know; it goes into the bundle you give the "
    "police, and you can copy parts of it into what your contacts see. Each save is kept as a "
    "new version."
)
PERSON_SAVED = _("Saved as a new version. Earlier versions are kept.")
PERSON_PHOTO_LABEL = _("A photo of them (optional)")
PERSON_PHOTO_HELP = _("Location data is removed. Only you and the bundle have it.")
PERSON_PHOTO_NOT_IMAGE = _("The photo must be a picture (JPEG, PNG, HEIC or WebP).")
PERSON_REMOVE_PHOTO = _("Remove the current photo")
PERSON_OTHER_NEEDED = _("Say who they are to you, in your words.")
PERSON_VERSION = _("Version %(number)s, saved")
PERSON_PHOTO_ALT = _("The photo you saved")
PERSON_HELP_NAME = _("Leave empty if you do not know it.")
PERSON_HELP_DESCRIPTION = _("Height, build, hair, anything they often wear or carry.")
PERSON_HELP_VEHICLES = _("One a line: make, colour, registration.")
PERSON_HELP_ADDRESSES = _("One a line: where they live or work, if you know.")
PERSON_HELP_OTHER = _("Only if you chose Other.")

# The export form: what heads the bundle's PDF (asked each time, kept for the next).
EXPORT_TITLE_LABEL = _("Title on the bundle's first page")
EXPORT_TITLE_HELP = _("Left empty, the bundle is headed “Incident diary”.")
EXPORT_NAME_LABEL = _("Your name as it should appear on the bundle")
EXPORT_NAME_HELP = _("Only on the bundle you hand over; shown nowhere else.")
# The heading of the bundle's PDF when she leaves the title empty (the PDF goes to the police).
BUNDLE_HEADING = _("Incident diary")
BUNDLE_HEADING_OF = _("Incident diary of %(name)s")
BUNDLE_KEPT_BY = _("Kept by")

# Work in the background (diary.jobs)
BUNDLE_ALREADY_UNDER_WAY = _(
    "A bundle is being made already. This is how it is going: one at a time, so nothing is "
    "made twice."
)

# Bringing in texts, e-mails and calls from an export (diary.imports)
IMPORT_UNKNOWN_KIND = _(
    "This kind of file cannot be brought in. Choose a WhatsApp chat export (.txt or .zip), a "
    "Telegram export (result.json), e-mails (.eml, .mbox or .msg) or an SMS Backup & Restore "
    "file (.xml)."
)
IMPORT_NOT_A_ZIP = _("This file is named .zip but is not a zip file, or it is damaged.")
IMPORT_ZIP_HOLDS_NO_CHAT = _(
    "This zip holds no chat: a WhatsApp export has a .txt file inside, a Telegram export a "
    "result.json."
)
IMPORT_NOBODY_CHOSEN = _("Choose at least one person, number or address to bring in.")
# What an imported message's entry says happened, before its exact words.
IMPORTED_FROM = _("%(what)s from %(who)s")
IMPORTED_TO = _("%(what)s to %(who)s")
IMPORTED_WHAT = {
    "text": _("Text message"),
    "email": _("E-mail"),
    "social_media": _("Message"),
    "phone_call": _("Call"),
}
IMPORTED_CALL = {
    "incoming": _("Call"),
    "missed": _("Missed call"),
    "rejected": _("Rejected call"),
    "voicemail": _("Voicemail"),
    "outgoing": _("Call"),
}
IMPORTED_TOO_LONG = _(
    "The message is longer than an entry holds: these are its first 5,000 characters. All of "
    "it is in the export file kept with this import (%(position)s)."
)
IMPORTED_FILE_NOT_KEPT = _(
    "%(name)s was not kept as a file here (%(problem)s); it is in the export."
)
IMPORT_ALREADY_READING = _("An export is being read already. This is how it is going.")

# The owner's forms keep what she writes as a draft while there is no signal (drafts.js).
DRAFT_SAVING = _("Saving…")
DRAFT_NO_CONNECTION = _("Not saved yet — no connection.")
DRAFT_KEPT = _(
    "What you wrote is kept on this page. It is saved when you try again, or by itself when "
    "the signal comes back. It will not be saved twice."
)
DRAFT_SERVER_TROUBLE = _("Not saved yet — something went wrong at our end.")
DRAFT_TRY_LATER = _("What you wrote is kept on this page. Please try again in a moment.")
DRAFT_RESTORED = _("What you wrote before is back in the form. It has not been saved yet.")
DRAFT_CHOOSE_FILES_AGAIN = _(
    "Photos and files are not kept on this page: if you chose any, choose them again."
)
DRAFT_DISCARD = _("Discard what I wrote")

# "Use where I am now" (geo.js): the map position from the phone, asked for once, only when tapped.
GEO_NONE = _("No map position.")
GEO_KEPT = _("Map position kept: %(position)s.")
GEO_KEPT_WITHIN = _("Map position kept: %(position)s, to within about %(metres)s m.")
GEO_FINDING = _("Finding where you are…")
GEO_DENIED = _(
    "Your phone did not share where you are. You can allow it in your browser's settings, "
    "or write the place under “Where”."
)
GEO_FAILED = _(
    "Where you are could not be found just now. Try again, or write the place under “Where”."
)
GEO_UNAVAILABLE = _("This browser cannot say where you are. Write the place under “Where”.")
GEO_HELP = _("Your phone is asked where you are only when you tap this button.")
GEO_NEEDS_SCRIPT = _("Adding a map position needs JavaScript. Write the place under “Where”.")
# Files and recordings sent in pieces (diary/uploads/).
UPLOAD_NOT_FOUND = _("That upload is not here any more. Start it again.")
UPLOAD_OFFSET_MOVED = _("That part was sent already. Carry on from where the server has it.")
UPLOAD_PIECE_TOO_LARGE = _("That part is larger than %(limit)s. Send smaller parts.")
UPLOAD_TOO_MANY_PIECES = _("That upload has as many parts as one may have. Start a new one.")
UPLOAD_CHECKSUM_WRONG = _("That part did not arrive as it was sent. Send it again.")
UPLOAD_WHOLE_CHECKSUM_WRONG = _(
    "The file did not arrive as it was sent, so it was not kept. Send it again."
)
UPLOAD_BAD_REQUEST = _("That upload request could not be read.")
UPLOAD_LENGTH_NEEDED = _("Say how large the file is, or that a recording's size comes later.")
RECORDING_MADE_HERE = {
    "audio": _("A sound recording made on this page."),
    "video": _("A video made on this page."),
    "photo": _("A photo taken on this page."),
    "": _("A file sent from this page."),
}
RECORDING_CUT_OFF = _("Recording cut off at %(at)s.")
