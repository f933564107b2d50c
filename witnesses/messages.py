"""Every message a witness or owner sees from this app, in one place for exact tests."""

from django.utils.translation import gettext_lazy as _

LINK_NOT_ACTIVE = _(
    "This link is no longer active. Ask the person who sent it to you for a new one."
)
NO_ACTIVE_LINK = _("This person has no active link. Make a new one instead.")
ALREADY_DECIDED = _("You have already decided about this one.")
TOO_MANY_FILES = _("Send at most %(limit)s files at a time.")
TOO_MANY_SENDS = _(
    "You have sent a lot in the last hour. Please wait a while and try again; "
    "if anyone is in danger, call 999."
)
TOO_MANY_LANDINGS = _(
    "This link has been opened on a lot of phones in the last hour. Please wait a while and "
    "try again; if anyone is in danger, call 999."
)
TOO_MANY_FOLLOW_UPS = _(
    "You have added a lot of notes in the last hour. Please wait a while and try again; "
    "if anyone is in danger, call 999."
)
BRIEF_PHOTO_NOT_IMAGE = _("The photo must be a picture (JPEG, PNG, HEIC or WebP).")
FIRST_HAND = _(
    "Only write down what you saw or heard yourself. If someone told you about it, "
    "ask them to tell the person who sent you this link."
)
REASON_NEEDED = _("Write a short reason, for your own record.")
TOO_MANY_GUESSES = _(
    "Too many links that do not work have been opened from here. Please wait an hour, "
    "or ask the person who sent yours for a new one."
)
# The contact's page keeps what they write as a draft while there is no signal (drafts.js).
DRAFT_SENDING = _("Sending…")
DRAFT_NO_CONNECTION = _("Not sent yet — no connection.")
DRAFT_KEPT = _(
    "What you wrote is kept on this page. It goes when you try again, or by itself when the "
    "signal comes back. It will not be sent twice."
)
DRAFT_SERVER_TROUBLE = _("Not sent yet — something went wrong at our end.")
DRAFT_TRY_LATER = _("What you wrote is kept on this page. Please try again in a moment.")
DRAFT_RESTORED = _("What you wrote before is back in the form. It has not been sent yet.")
DRAFT_CHOOSE_FILES_AGAIN = _(
    "Photos and files are not kept on this page: if you chose any, choose them again."
)

# Contacts' part of the owner's lockout check (diary.safety.lockout)
LOCKOUT_CONTACTS = _("Contacts' links that work now")
LOCKOUT_CONTACTS_HELP = _(
    "Whoever holds one of these links can open what that contact is shown. Links made from "
    "another session are stopped; tick any others to stop them too. You can send a new link "
    "afterwards."
)
LOCKOUT_NO_LINKS = _("No contact's link works at the moment.")
LOCKOUT_MADE_HERE = _("made from this session")
LOCKOUT_MADE_ELSEWHERE = _("made from another session")
LOCKOUT_THAT_SESSION = _("That session: %(browser)s, signed in")
LOCKOUT_UNKNOWN_BROWSER = _("an unknown browser")
LOCKOUT_MADE_UNKNOWN = _("made before sessions were noted")
LOCKOUT_MADE_LATELY = _("made in the last 30 days")
LOCKOUT_WILL_STOP = _("will be stopped")
LOCKOUT_STOP_TOO = _("Stop this link too")
LOCKOUT_LINK_MADE = _("Made")
LOCKOUT_LINK_EXPIRES = _("works until")
LOCKOUT_DEVICES = _("Devices that opened it: %(count)s")
LOCKOUT_LINKS_DONE = _("Contacts' links stopped: %(names)s.")
# A contact's device: one device only, leaving, keeping them on this phone.
ONE_DEVICE_ONLY = _(
    "This link is already open on another phone or browser, so it cannot open here. "
    "If it is yours, ask the person who sent it for a new link."
)
KEPT_ON_PHONE = _("This phone keeps you on this page until the link ends.")
NOT_KEPT_ON_PHONE = _("This page will ask for the link again once the browser is closed.")
BRIEF_FILLED = _(
    "Copied from About the person. Change what you like: nothing is shown to your contacts "
    "until you save."
)
BRIEF_FILL_HELP = _(
    "Copies what you tick into the form below, for you to edit. Who they are to you is not copied."
)
BRIEF_FILL_PARTS = {
    "name": _("Their name"),
    "description": _("Their description"),
    "vehicles": _("Vehicles"),
    "addresses": _("Addresses, as places"),
}

# A new contact's link: what the owner may send with it (she can change it), and what the Copy
# and Share buttons say. Plain and kind; nothing says what the diary is for.
LINK_MESSAGE = _(
    "Hello {name}, here is the private link we talked about, for writing down anything you see "
    "or hear. It is just for you, so please do not pass it on. Thank you for helping."
)
LINK_COPIED = _("Copied. Paste it into your messaging app.")
LINK_SHARED = _("Shared.")
LINK_COPY_FAILED = _("It could not be copied here. Press on the link above and copy it.")
