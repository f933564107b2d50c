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
