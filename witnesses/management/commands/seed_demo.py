"""A demo diary to look around in: a few weeks of notes, photos and kept items, ending now,
with the trusted contacts side working too: a brief, three witnesses, what they sent and what
the owner decided about it.

Everything is written through the services (the diary's and the witnesses'), so the demo's
ledger verifies like any other diary's. Running the command again when the demo owner exists
changes nothing.

It lives here, not in `diary`, because `witnesses` may import `diary` but never the reverse.
"""

import io
import random
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from diary.core import filestore
from diary.evidence.intake import EXIF_DATETIME_ORIGINAL, EXIF_IFD, EXIF_OFFSET_TIME_ORIGINAL
from diary.evidence.services import evidence_attach
from diary.models import Diary, Entry, Evidence, Item, KeptFile, RiskChecklist, User
from diary.models.choices import Behaviour, Channel, ItemKind, Precision, Storage
from diary.records import services
from diary.risk.selectors import risk_suggestions
from diary.risk.services import risk_checklist_complete
from witnesses.models import (
    DEFAULT_SAFETY,
    Decision,
    FollowUp,
    Relationship,
    SharedEntry,
    Sharing,
    Statement,
    Submission,
    SubmissionKind,
    Witness,
    WitnessDevice,
)
from witnesses.services.brief import brief_update
from witnesses.services.links import device_open, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import (
    follow_up_add,
    submission_accept,
    submission_create,
    submission_keep_aside,
)

DEMO_EMAIL = "demo@example.com"
DEFAULT_PASSWORD = "demo-notes-2026"  # noqa: S105 (a demo account, printed on purpose)
DEMO_TIME_ZONE = "Europe/London"
# Where the app is served, for the links printed (`make seed` passes its HOST and PORT).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BASE_URL = re.compile(r"https?://[^/\s]+")
SEED = 2026

# The incidents, oldest first. `days` and `clock` give the local date and time the incident
# began (`minutes_ago` instead for the latest); `hours` gives a range's length.
INCIDENTS: tuple[dict[str, Any], ...] = (
    {
        "key": "bus_stop_number",
        "days": 26,
        "clock": "08:10",
        "content": {
            "precision": Precision.EXACT,
            "location": "Bus stop on the High Street",
            "behaviours": [Behaviour.CONTACT],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "J. was waiting at the bus stop when I left for work. He said he was just "
                "passing and asked for my new number. I said no and got on the first bus."
            ),
            "words_used": "Come on, just give me your number. I only want to talk.",
            "clothing": "Navy puffer jacket, grey beanie, black rucksack.",
            "others_present": "A few people in the queue; I didn't know any of them.",
            "impact": "Shaken all morning. Took a taxi home instead of the bus.",
        },
    },
    {
        "key": "texts",
        "days": 24,
        "clock": "21:00",
        "content": {
            "precision": Precision.APPROXIMATE,
            "behaviours": [Behaviour.CONTACT, Behaviour.THREATS],
            "channel": Channel.TEXT,
            "what_happened": (
                "Three texts from a number I don't know. Not signed, but the way they are "
                "written is exactly how J. writes. I didn't reply."
            ),
            "words_used": "I know you moved. You can't hide from me.",
            "impact": "Couldn't sleep. Told my sister, who is keeping copies too.",
        },
    },
    {
        "key": "car_outside_flat",
        "days": 23,
        "clock": "18:42",
        "content": {
            "precision": Precision.EXACT,
            "location": "Outside my flat, Elm Road",
            "latitude": Decimal("51.507351"),
            "longitude": Decimal("-0.127758"),
            "behaviours": [Behaviour.WATCHING, Behaviour.LOITERING],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "A grey Ford Focus parked opposite my flat with the engine running for about "
                "20 minutes. I could see J. in the driver's seat. I took a photo from the "
                "front window."
            ),
            "vehicle_registration": "KX19 ABC",
            "vehicle_make": "Ford Focus",
            "vehicle_colour": "Grey",
            "clothing": "Couldn't see clearly; dark jacket.",
            "impact": "Kept the lights off and stayed in the back room until it left.",
        },
    },
    {
        "key": "flowers",
        "days": 21,
        "clock": "08:30",
        "hours": 9.5,
        "content": {
            "precision": Precision.RANGE,
            "location": "Outside my flat, Elm Road (front door)",
            "behaviours": [Behaviour.ITEMS],
            "channel": Channel.ITEM_LEFT,
            "what_happened": (
                "Flowers and a card left on the doorstep while I was at work. The card isn't "
                "signed but the handwriting is J.'s. Nobody else knows this address."
            ),
            "words_used": "Thinking of you. Always.",
            "impact": "Upset that he knows where I live now. Asked the landlord about a camera.",
        },
    },
    {
        "key": "friend_instagram",
        "days": 20,
        "clock": "12:15",
        "content": {
            "precision": Precision.APPROXIMATE,
            "behaviours": [Behaviour.APPROACHING_OTHERS, Behaviour.MONITORING],
            "channel": Channel.SOCIAL_MEDIA,
            "what_happened": (
                "My friend Priya told me J. had commented on her public Instagram post, "
                "asking where I'm living now and whether I'm \"seeing anyone\". She has "
                "deleted the comment and blocked him, but took a screenshot first."
            ),
            "others_present": "Priya (she saw the comment and has the screenshot).",
        },
    },
    {
        "key": "work_car_park_morning",
        "days": 18,
        "clock": "07:55",
        "content": {
            "precision": Precision.EXACT,
            "location": "Work car park",
            "behaviours": [Behaviour.WATCHING],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "J.'s car was in the work car park when I arrived. He doesn't work here. "
                "He drove off as soon as I walked towards reception."
            ),
            "vehicle_registration": "KX19 ABC",
            "vehicle_make": "Ford Focus",
            "vehicle_colour": "Grey",
            "impact": "Told my manager. She has asked security to watch out for the car.",
        },
    },
    {
        "key": "missed_calls",
        "days": 17,
        "clock": "19:30",
        "content": {
            "precision": Precision.EXACT,
            "behaviours": [Behaviour.CONTACT],
            "channel": Channel.PHONE_CALL,
            "what_happened": (
                "Five missed calls from a withheld number between 19:30 and 19:50. I didn't "
                "answer. One voicemail: about 40 seconds of silence, then it hangs up."
            ),
            "impact": "Phone on silent for the rest of the evening. Kept the voicemail.",
        },
    },
    {
        "key": "door_at_night",
        "days": 15,
        "clock": "22:40",
        "content": {
            "precision": Precision.EXACT,
            "location": "Outside my flat, Elm Road",
            "behaviours": [Behaviour.THREATS, Behaviour.LOITERING],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "J. knocked on my door again and again and shouted through the letterbox. I "
                "didn't open it. I rang 999 and he left before the police arrived."
            ),
            "words_used": "I just want to talk. Open the door or I'll wait here all night.",
            "clothing": "Navy puffer jacket (saw him from the window as he left).",
            "others_present": "My downstairs neighbour heard the shouting.",
            "impact": "Terrified. My sister came over and stayed the night.",
            "police_reported": True,
            "police_officer": "PC 1234 Smith",
            "police_said": (
                "He took a statement and said this is a pattern they take seriously. He told "
                "me to keep writing everything down, with times, and to keep anything left "
                "for me without handling it more than I have to."
            ),
            "police_action": (
                "An officer will visit J. to give him a warning. PC Smith will ring me back "
                "within 48 hours."
            ),
        },
    },
    {
        "key": "apology_email",
        "days": 13,
        "clock": "17:00",
        "content": {
            "precision": Precision.APPROXIMATE,
            "behaviours": [Behaviour.CONTACT],
            "channel": Channel.EMAIL,
            "what_happened": (
                'An e-mail from a new address with the subject "Sorry". A long message '
                "saying he is sorry and wants to explain in person. I didn't reply and have "
                "kept it in a folder."
            ),
            "words_used": "I'm sorry. Just meet me once and I'll leave you alone, I promise.",
        },
    },
    {
        "key": "car_scratched",
        "days": 12,
        "clock": "23:00",
        "hours": 8,
        "content": {
            "precision": Precision.RANGE,
            "location": "Outside my flat, Elm Road",
            "behaviours": [Behaviour.PROPERTY],
            "channel": Channel.OTHER,
            "what_happened": (
                "Sometime overnight both wing mirrors on my car were pushed in and there is a "
                "long scratch down the driver's door. The car was parked outside my flat. I "
                "didn't see who did it."
            ),
            "impact": "Will cost about £400 to fix. Now parking on the next street.",
        },
    },
    {
        "key": "newsagent",
        "days": 10,
        "clock": "08:05",
        "content": {
            "precision": Precision.EXACT,
            "location": "Bus stop on the High Street (he was outside the newsagent opposite)",
            "behaviours": [Behaviour.WATCHING],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "Saw J. across the road from the bus stop, standing outside the newsagent. He "
                "didn't come over but watched me until my bus left."
            ),
            "clothing": "Same navy puffer jacket, blue jeans, white trainers.",
        },
    },
    {
        "key": "letter",
        "days": 9,
        "clock": "19:00",
        "content": {
            "precision": Precision.APPROXIMATE,
            "location": "Outside my flat, Elm Road (through the letterbox)",
            "behaviours": [Behaviour.CONTACT, Behaviour.MONITORING, Behaviour.ITEMS],
            "channel": Channel.LETTER,
            "what_happened": (
                "A handwritten letter pushed through my letterbox. No stamp, so it was "
                "delivered by hand. It says he knows which gym I go to."
            ),
            "words_used": (
                "I saw you at the gym on Tuesday. You looked tired. We need to talk before "
                "this gets worse."
            ),
            "impact": "Cancelled my gym membership. Feel like I can't go anywhere.",
        },
    },
    {
        "key": "mum_phoned",
        "days": 6,
        "clock": "14:00",
        "content": {
            "precision": Precision.APPROXIMATE,
            "behaviours": [Behaviour.APPROACHING_OTHERS],
            "channel": Channel.PHONE_CALL,
            "what_happened": (
                "Mum rang to say J. had phoned her asking for my new address. She told him "
                "she wouldn't give it to him and hung up."
            ),
            "others_present": "Mum took the call; she has written down the number he used.",
            "impact": "Worried he will start turning up at hers.",
        },
    },
    {
        "key": "work_car_park_evening",
        "days": 5,
        "clock": "17:50",
        "content": {
            "precision": Precision.EXACT,
            "location": "Work car park",
            "behaviours": [Behaviour.LOITERING, Behaviour.WATCHING],
            "channel": Channel.IN_PERSON,
            "what_happened": (
                "The grey Ford Focus, same registration, parked by the exit of the work car "
                "park at home time. Dave on security saw it too and has put it in the "
                "security log. I took a photo from reception."
            ),
            "vehicle_registration": "KX19 ABC",
            "vehicle_make": "Ford Focus",
            "vehicle_colour": "Grey",
            "others_present": "Dave (security guard at work).",
            "impact": "A colleague drove me home.",
        },
    },
    {
        "key": "package",
        "days": 3,
        "clock": "12:00",
        "hours": 3,
        "content": {
            "precision": Precision.RANGE,
            "location": "Number 14, Elm Road (left with my neighbour)",
            "behaviours": [Behaviour.ITEMS, Behaviour.WATCHING],
            "channel": Channel.ITEM_LEFT,
            "what_happened": (
                "A parcel with no sender was left with my neighbour while I was out. Inside "
                "was a printed photo of me outside my work, taken from across the street."
            ),
            "others_present": "Mrs Patel at number 14 took it in; she didn't see who left it.",
            "impact": "Really frightened by this one. Rang PC Smith and left a message.",
        },
    },
    {
        "key": "new_account",
        "days": 1,
        "clock": "21:15",
        "content": {
            "precision": Precision.EXACT,
            "behaviours": [Behaviour.MONITORING],
            "channel": Channel.SOCIAL_MEDIA,
            "what_happened": (
                "A new account with no photo followed me on Instagram and watched every "
                "story within minutes. The username is a play on J.'s nickname. I took "
                "screenshots, then blocked it."
            ),
        },
    },
    {
        "key": "curtains",
        "minutes_ago": 40,
        "content": {
            "precision": Precision.APPROXIMATE,
            "behaviours": [Behaviour.CONTACT, Behaviour.WATCHING],
            "channel": Channel.TEXT,
            "what_happened": (
                "A text from another unknown number. I only put new curtains up this "
                "afternoon, so he must have been outside today."
            ),
            "words_used": "Nice new curtains.",
            "impact": "Curtains closed. Staying at my sister's tonight.",
        },
    },
)

# An entry typed in twice; the copy is withdrawn.
DUPLICATED = "letter"
WITHDRAW_REASON = "Wrote this twice by mistake."

# Corrections made later, as new versions: (incident, the corrected "what happened").
AMENDMENTS: tuple[tuple[str, str], ...] = (
    (
        "car_outside_flat",
        "A grey Ford Focus parked opposite my flat with the engine running for about 35 "
        "minutes (corrected: I checked the time on my phone when it drove off). I could see "
        "J. in the driver's seat. I took a photo from the front window.",
    ),
    (
        "texts",
        "Four texts from a number I don't know (corrected: I found a fourth in my filtered "
        "messages). Not signed, but the way they are written is exactly how J. writes. I "
        "didn't reply.",
    ),
)

# Photos: the incident, the file's name, minutes after the incident began it was taken,
# the scene to draw and its caption.
PHOTOS: tuple[dict[str, Any], ...] = (
    {
        "entry": "car_outside_flat",
        "name": "IMG_2041.jpg",
        "minutes": 3,
        "scene": "street",
        "caption": "Photo of car, Elm Road",
        "description": "Taken from my front window.",
    },
    {
        "entry": "flowers",
        "name": "IMG_2058.jpg",
        "minutes": 575,
        "scene": "doorstep",
        "caption": "Flowers on the doorstep",
        "description": "As I found them when I got home.",
    },
    {
        "entry": "car_scratched",
        "name": "IMG_2102.jpg",
        "minutes": 500,
        "scene": "scratch",
        "caption": "Scratch on driver's door",
        "description": "",
    },
    {
        "entry": "work_car_park_evening",
        "name": "IMG_2177.jpg",
        "minutes": 4,
        "scene": "car_park",
        "caption": "Same car, work car park",
        "description": "Taken from reception.",
    },
)

# Physical items kept: the incident they came with, minutes after it began they were found.
ITEMS: tuple[dict[str, Any], ...] = (
    {
        "key": "card",
        "entry": "flowers",
        "minutes": 575,
        "content": {
            "kind": ItemKind.GIFT,
            "description": (
                "White lilies wrapped in brown paper, with a small unsigned card: "
                '"Thinking of you. Always."'
            ),
            "found_where": "Doorstep, Elm Road",
            "found_by": "Me",
            "storage": Storage.PAPER_BAG,
            "handling": (
                "Photographed first. Card picked up by its edges and put in a paper bag. "
                "The flowers were thrown away after a week."
            ),
            "current_location": "Card in a paper bag in the hall cupboard",
        },
    },
    {
        "key": "letter",
        "entry": "letter",
        "minutes": 0,
        "content": {
            "kind": ItemKind.LETTER,
            "description": "Handwritten letter, one side of lined A5 paper, in a plain envelope.",
            "found_where": "Hall floor, under the letterbox",
            "found_by": "Me",
            "storage": Storage.PAPER_BAG,
            "handling": "Read once, holding the corners. Not folded again. In a paper bag.",
            "current_location": "Paper bag in the hall cupboard",
        },
    },
    {
        "key": "parcel",
        "entry": "package",
        "minutes": 240,
        "content": {
            "kind": ItemKind.PACKAGE,
            "description": "Small brown parcel, no sender, containing a printed photo of me.",
            "found_where": "Number 14, Elm Road",
            "found_by": "Mrs Patel (neighbour at number 14), who took it in",
            "storage": Storage.BOXED,
            "handling": (
                "Opened once. Photo put back inside and the parcel kept in a shoebox. Mrs "
                "Patel also handled the outside."
            ),
            "current_location": "Shoebox in the hall cupboard",
        },
    },
)

# The letter, handed to the police later: a second version of the item.
HANDOVER = {
    "item": "letter",
    "days": 7,
    "clock": "11:30",
    "police_handed_to": "PC 1234 Smith",
    "exhibit_reference": "JS/1",
    "current_location": "With the police (exhibit JS/1)",
}

PHOTO_SIZE = (800, 600)

# The witness side. The brief is what the owner shows the people they invite.
BRIEF: dict[str, str] = {
    "person": (
        "J. is a man in his mid-thirties, about 5'10\", slim, with short dark hair and usually "
        "a short beard. He often wears a navy puffer jacket and a grey beanie, and carries a "
        "black rucksack. We were together until last year."
    ),
    "vehicles": (
        "A grey Ford Focus hatchback, registration KX19 ABC. He sometimes sits in it with the "
        "engine running."
    ),
    "places": (
        "Elm Road, outside my flat. The bus stop on the High Street. The car park at my work. "
        "He has also phoned Mum."
    ),
    "what_to_record": (
        "The date and time, where you were, what he did and the exact words he used, written "
        "down as soon as you can. If you see the car, note the registration and how long it "
        "stayed. A photo helps, but only if you can take it without being noticed."
    ),
}

# The people the owner invited, and the phone each opened their link on.
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
WITNESSES: tuple[dict[str, Any], ...] = (
    {
        "key": "mum",
        "name": "Mum",
        "relationship": Relationship.FAMILY,
        "contact": "07700 900123",
        "sharing": Sharing.MARKED,
        "sees_photo": False,
        "user_agent": IPHONE,
    },
    {
        "key": "priya",
        "name": "Priya at work",
        "relationship": Relationship.COLLEAGUE,
        "contact": "priya@example.com",
        "sharing": Sharing.BRIEF,
        "sees_photo": False,
        "user_agent": IPHONE,
    },
    {
        "key": "okafor",
        "name": "Mr Okafor next door",
        "relationship": Relationship.NEIGHBOUR,
        "contact": "07700 900456",
        "sharing": Sharing.ALL,
        "sees_photo": False,
        "user_agent": ANDROID,
    },
)
# Whose link the command prints, so a newcomer can open the witness pages.
SHOWN_LINK = "mum"

# What the witnesses sent: the local day and time it happened, as for the incidents.
SUBMISSIONS: tuple[dict[str, Any], ...] = (
    {
        "key": "car_next_door",
        "witness": "okafor",
        "days": 2,
        "clock": "19:20",
        "content": {
            "kind": SubmissionKind.SAW,
            "precision": Precision.EXACT,
            "location": "Elm Road, across from our houses",
            "what_happened": (
                "The grey Ford Focus was parked across the road with a man in the driver's "
                "seat for about half an hour. I took a photo from my front door. It drove off "
                "when I switched the porch light on."
            ),
            "vehicle_registration": "KX19 ABC",
            "vehicle_make": "Ford Focus",
            "vehicle_colour": "Grey",
            "clothing": "Dark jacket and a grey beanie.",
            "statement": Statement.YES,
            "statement_contact": "07700 900456, any evening",
        },
        "photo": {
            "name": "PXL_4417.jpg",
            "minutes": 6,
            "scene": "street",
            "caption": "From next door, Elm Road",
        },
    },
    {
        "key": "car_park_priya",
        "witness": "priya",
        "days": 5,
        "clock": "17:45",
        "content": {
            "kind": SubmissionKind.SAW,
            "precision": Precision.EXACT,
            "location": "Work car park, by the exit",
            "what_happened": (
                "The grey car was parked by the car park exit when I left. A man was sitting "
                "in it looking towards reception. I mentioned it to Dave on security."
            ),
            "vehicle_registration": "KX19 ABC",
            "vehicle_colour": "Grey",
            "others_present": "Dave (security).",
            "statement": Statement.MAYBE,
        },
    },
    {
        "key": "mum_landline",
        "witness": "mum",
        "days": 2,
        "clock": "18:00",
        "content": {
            "kind": SubmissionKind.CONTACTED,
            "precision": Precision.APPROXIMATE,
            "what_happened": (
                "J. rang my landline again, from the same number as last time. He asked if "
                "you were all right and whether you were staying at your sister's. I told him "
                "I had nothing to say to him and put the phone down."
            ),
            "words_used": "I'm only worried about her. Is she at her sister's?",
            "statement": Statement.YES,
            "statement_contact": "07700 900123",
        },
    },
    {
        "key": "cafe_priya",
        "witness": "priya",
        "days": 1,
        "clock": "12:30",
        "content": {
            "kind": SubmissionKind.APPROACHED,
            "precision": Precision.EXACT,
            "location": "The café on the High Street, near work",
            "what_happened": (
                "J. came up to me in the queue at lunchtime and asked whether you still work "
                "in our office. I said I didn't know what he meant and went back to work."
            ),
            "words_used": "You work with her, don't you? Is she still there?",
            "clothing": "Navy puffer jacket, white trainers.",
            "statement": Statement.MAYBE,
        },
    },
    {
        "key": "side_gate",
        "witness": "okafor",
        "days": 1,
        "clock": "07:15",
        "content": {
            "kind": SubmissionKind.FOUND,
            "precision": Precision.APPROXIMATE,
            "location": "The shared path beside our houses, Elm Road",
            "what_happened": (
                "When I went out for the paper the side gate to our shared path was open and "
                "there were fresh cigarette ends by your bins. Neither household smokes. I "
                "didn't see anyone."
            ),
            "statement": "",
        },
    },
)
# What the owner did with them; the rest wait in the inbox.
ACCEPTED = "car_next_door"
KEPT_ASIDE = (
    "car_park_priya",
    "Same evening as my own entry from the work car park, and Dave's log covers it.",
)
FOLLOW_UP = (
    "side_gate",
    "I've put the cigarette ends in a sandwich bag without touching them, in case they're "
    "needed. I'll keep the gate bolted from now on.",
)
# The entries marked as shared, for witnesses who see marked entries (Mum).
SHARED = ("car_outside_flat", "work_car_park_evening")


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

        kept: list[KeptFile] = []
        try:
            with transaction.atomic():
                diary, (name, token) = _seed(password, kept)
        except BaseException:
            # Files are stored before their rows (evidence and witnesses' files alike); a
            # rollback here would leave them behind.
            for file in kept:
                filestore.delete(file.original.name)
                filestore.delete(file.preview.name)
            raise

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


def _seed(password: str, kept: list[KeptFile]) -> tuple[Diary, tuple[str, str]]:
    """The demo diary, and the name and token of the witness link to print."""
    user = User.objects.create_user(email=DEMO_EMAIL, password=password)
    EmailAddress.objects.create(user=user, email=DEMO_EMAIL, verified=True, primary=True)
    diary = services.diary_create(owner=user, time_zone=DEMO_TIME_ZONE)
    zone = diary.zone
    now = timezone.now()

    entries: dict[str, Entry] = {}
    duplicate: Entry | None = None
    for incident in INCIDENTS:
        content = {**incident["content"], **_when(incident, now, zone)}
        entry = services.entry_create(diary=diary, actor=user, content=content)
        entries[incident["key"]] = entry
        if incident["key"] == DUPLICATED:
            duplicate = services.entry_create(diary=diary, actor=user, content=content)

    for key, corrected in AMENDMENTS:
        entry = entries[key]
        assert entry.current is not None
        services.entry_amend(
            entry=entry,
            actor=user,
            content={**entry.current.content_values(), "what_happened": corrected},
        )

    if duplicate is not None:
        services.entry_withdraw(entry=duplicate, actor=user, reason=WITHDRAW_REASON)

    rng = random.Random(SEED)
    for photo in PHOTOS:
        entry = entries[photo["entry"]]
        assert entry.current is not None
        taken = entry.current.occurred_start + timedelta(minutes=photo["minutes"])
        jpeg = _photo(photo["scene"], photo["caption"], min(taken, now), zone, rng)
        upload = SimpleUploadedFile(photo["name"], jpeg, content_type="image/jpeg")
        kept.append(
            evidence_attach(
                entry=entry, actor=user, upload=upload, description=photo["description"]
            )
        )

    items: dict[str, Item] = {}
    for spec in ITEMS:
        entry = entries[spec["entry"]]
        assert entry.current is not None
        found_at = min(entry.current.occurred_start + timedelta(minutes=spec["minutes"]), now)
        items[spec["key"]] = services.item_create(
            diary=diary,
            actor=user,
            content={**spec["content"], "entry": entry, "found_at": found_at},
        )

    item = items[HANDOVER["item"]]
    assert item.current is not None
    services.item_amend(
        item=item,
        actor=user,
        content={
            **item.current.content_values(),
            "police_handed_at": _local(now, zone, HANDOVER["days"], HANDOVER["clock"]),
            "police_handed_to": HANDOVER["police_handed_to"],
            "exhibit_reference": HANDOVER["exhibit_reference"],
            "current_location": HANDOVER["current_location"],
        },
    )
    link = _seed_witnesses(diary, user, entries, kept, now, rng)
    _seed_checklist(diary, user)
    return diary, link


# The owner's own answers; where the diary already shows one, the diary's suggestion is taken,
# as an owner confirming it would.
CHECKLIST = {
    "fear": {"answer": "quite", "note": "Worse since he started turning up at work."},
    "earlier_harassment": {"answer": "yes", "note": "He did the same to his ex before me."},
    "property_damaged": {"answer": "not_sure"},
    "frequent_contact": {"answer": "not_sure"},
    "loitering": {"answer": "yes"},
    "threats": {"answer": "no"},
    "approaches_others": {"answer": "not_sure"},
    "violence_to_others": {"answer": "no"},
    "others_helping": {"answer": "not_sure", "note": "His brother's car was seen once."},
    "alcohol_drugs": {"answer": "yes", "note": "Drinks heavily at weekends."},
    "past_violence": {"answer": "not_sure"},
    "wellbeing": {"answer": "yes", "note": "Not sleeping well. I check the window at night."},
}


def _seed_checklist(diary: Diary, user: User) -> None:
    suggested = risk_suggestions(actor=user)
    answers = {
        code: {**given, "answer": suggested[code].answer} if code in suggested else given
        for code, given in CHECKLIST.items()
    }
    risk_checklist_complete(diary=diary, actor=user, answers=answers)


def _seed_witnesses(
    diary: Diary,
    user: User,
    entries: dict[str, Entry],
    kept: list[KeptFile],
    now: datetime,
    rng: random.Random,
) -> tuple[str, str]:
    """The brief, the witnesses and what they sent, all through the witnesses' services.
    The links' tokens stay in memory; only the one to print is returned."""
    zone = diary.zone
    brief_update(
        diary=diary,
        actor=user,
        content={**BRIEF, "safety": str(DEFAULT_SAFETY)},
        photo=None,
    )

    tokens: dict[str, tuple[str, str]] = {}
    devices: dict[str, WitnessDevice] = {}
    for spec in WITNESSES:
        witness, token = witness_invite(
            diary=diary,
            actor=user,
            name=spec["name"],
            relationship=spec["relationship"],
            contact=spec["contact"],
            sharing=spec["sharing"],
            sees_photo=spec["sees_photo"],
        )
        tokens[spec["key"]] = (witness.name, token)
        opened = device_open(token=token, user_agent=spec["user_agent"])
        if opened is None:
            raise CommandError(f"{witness.name}'s new link would not open.")
        devices[spec["key"]], _key = opened

    submissions: dict[str, Submission] = {}
    for spec in SUBMISSIONS:
        start = _local(now, zone, spec["days"], spec["clock"])
        uploads: list[UploadedFile] = []
        if "photo" in spec:
            photo = spec["photo"]
            taken = min(start + timedelta(minutes=photo["minutes"]), now)
            jpeg = _photo(photo["scene"], photo["caption"], taken, zone, rng)
            uploads.append(SimpleUploadedFile(photo["name"], jpeg, content_type="image/jpeg"))
        submission = submission_create(
            device=devices[spec["witness"]],
            content={**spec["content"], "occurred_start": start},
            uploads=uploads,
        )
        kept.extend(submission.files.all())
        submissions[spec["key"]] = submission

    entry = submission_accept(submission=submissions[ACCEPTED], actor=user)
    kept.extend(entry.evidence.all())
    key, reason = KEPT_ASIDE
    submission_keep_aside(submission=submissions[key], actor=user, reason=reason)
    key, text = FOLLOW_UP
    sender = next(spec["witness"] for spec in SUBMISSIONS if spec["key"] == key)
    follow_up_add(device=devices[sender], submission=submissions[key], text=text)

    for key in SHARED:
        entry_share(entry=entries[key], actor=user)
    return tokens[SHOWN_LINK]


def _local(now: datetime, zone: ZoneInfo, days: int, clock: str) -> datetime:
    """`clock` on the local date `days` before today, never later than now."""
    hour, minute = (int(part) for part in clock.split(":"))
    day = timezone.localtime(now, zone).date() - timedelta(days=days)
    return min(datetime.combine(day, time(hour, minute), tzinfo=zone), now)


def _when(incident: dict[str, Any], now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    if "minutes_ago" in incident:
        start = (now - timedelta(minutes=incident["minutes_ago"])).replace(second=0, microsecond=0)
    else:
        start = _local(now, zone, incident["days"], incident["clock"])
    when: dict[str, Any] = {"occurred_start": start}
    if "hours" in incident:
        when["occurred_end"] = min(start + timedelta(hours=incident["hours"]), now)
    if incident["content"].get("police_reported"):
        when["police_reference"] = f"CAD 4471 {timezone.localtime(start, zone):%d/%m}"
    return when


# The photos: simple drawn scenes, each carrying the capture time a phone would write.

Draw = ImageDraw.ImageDraw
Scene = Callable[[Draw, random.Random], None]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _car(draw: Draw, left: int, bottom: int, registration: str | None) -> None:
    """A grey hatchback seen side-on, with the number plate shown if there is one."""
    body = (90, 94, 100)
    glass = (160, 185, 200)
    draw.rounded_rectangle((left, bottom - 120, left + 420, bottom - 30), radius=28, fill=body)
    draw.polygon(
        [
            (left + 80, bottom - 118),
            (left + 140, bottom - 190),
            (left + 300, bottom - 190),
            (left + 370, bottom - 118),
        ],
        fill=body,
    )
    draw.polygon(
        [
            (left + 100, bottom - 120),
            (left + 148, bottom - 178),
            (left + 215, bottom - 178),
            (left + 215, bottom - 120),
        ],
        fill=glass,
    )
    draw.polygon(
        [
            (left + 228, bottom - 120),
            (left + 228, bottom - 178),
            (left + 292, bottom - 178),
            (left + 348, bottom - 120),
        ],
        fill=glass,
    )
    for centre in (left + 95, left + 325):
        draw.ellipse((centre - 42, bottom - 72, centre + 42, bottom + 12), fill=(25, 25, 28))
        draw.ellipse((centre - 20, bottom - 50, centre + 20, bottom - 10), fill=(150, 150, 155))
    draw.rectangle((left + 395, bottom - 100, left + 420, bottom - 80), fill=(230, 200, 90))
    if registration:
        plate = (left + 290, bottom - 250, left + 470, bottom - 205)
        draw.rectangle(plate, fill=(245, 205, 40), outline=(20, 20, 20), width=3)
        draw.text(
            ((plate[0] + plate[2]) / 2, (plate[1] + plate[3]) / 2),
            registration,
            fill=(10, 10, 10),
            font=_font(30),
            anchor="mm",
        )
        draw.line((left + 380, bottom - 205, left + 405, bottom - 95), fill=(10, 10, 10), width=2)


def _street(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, 250), fill=(186, 196, 206))
    for left in range(0, width, 200):
        brick = (140 + rng.randint(-12, 12), 80 + rng.randint(-8, 8), 60)
        draw.rectangle((left, 60, left + 196, 330), fill=brick)
        for window in (left + 30, left + 120):
            draw.rectangle((window, 110, window + 50, 180), fill=(70, 80, 95))
    draw.rectangle((0, 330, width, 380), fill=(170, 170, 165))
    draw.rectangle((0, 380, width, height), fill=(60, 62, 66))
    for left in range(20, width, 140):
        draw.rectangle((left, 520, left + 70, 530), fill=(235, 235, 235))
    _car(draw, 180, 500, "KX19 ABC")


def _car_park(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, 200), fill=(176, 184, 194))
    draw.rectangle((0, 200, width, height), fill=(72, 74, 78))
    for left in range(0, width + 1, 160):
        draw.line((left, 260, left - 60, height), fill=(230, 230, 230), width=5)
    for _ in range(40):
        x, y = rng.randint(0, width), rng.randint(210, height)
        draw.ellipse((x, y, x + 6, y + 3), fill=(58, 60, 64))
    draw.rectangle((600, 60, 780, 140), fill=(20, 70, 140))
    draw.text((690, 100), "STAFF PARKING", fill=(255, 255, 255), font=_font(20), anchor="mm")
    draw.rectangle((686, 140, 694, 230), fill=(120, 120, 120))
    _car(draw, 120, 500, "KX19 ABC")


def _doorstep(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    for row, top in enumerate(range(0, 460, 30)):
        offset = 0 if row % 2 else 45
        for left in range(-offset, width, 90):
            shade = rng.randint(-15, 15)
            draw.rectangle(
                (left + 2, top + 2, left + 88, top + 28), fill=(150 + shade, 75 + shade, 55)
            )
    draw.rectangle((270, 40, 530, 460), fill=(30, 70, 50))
    draw.rectangle((355, 250, 445, 270), fill=(200, 170, 80))
    draw.ellipse((490, 240, 510, 260), fill=(200, 170, 80))
    draw.rectangle((220, 460, 580, 500), fill=(175, 172, 165))
    draw.rectangle((0, 500, width, height), fill=(120, 118, 112))
    draw.polygon([(300, 470), (380, 350), (400, 470)], fill=(160, 120, 80))
    for _ in range(9):
        x, y = 320 + rng.randint(0, 70), 330 + rng.randint(-40, 30)
        draw.line((350, 460, x + 10, y + 10), fill=(50, 110, 50), width=3)
        draw.ellipse((x, y, x + 22, y + 22), fill=(245, 245, 240))
    draw.rectangle((410, 440, 450, 466), fill=(250, 250, 245), outline=(160, 160, 160))


def _scratch(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, height), fill=(98, 102, 108))
    draw.line((0, 120, width, 120), fill=(70, 72, 78), width=6)
    draw.rounded_rectangle((560, 200, 700, 240), radius=12, fill=(60, 62, 66))
    points = [(60 + step * 30, 330 + rng.randint(-14, 14)) for step in range(23)]
    draw.line(points, fill=(215, 215, 210), width=4)
    draw.line([(x, y + 3) for x, y in points], fill=(150, 152, 150), width=2)


SCENES: dict[str, Scene] = {
    "street": _street,
    "car_park": _car_park,
    "doorstep": _doorstep,
    "scratch": _scratch,
}


def _photo(scene: str, caption: str, taken: datetime, zone: ZoneInfo, rng: random.Random) -> bytes:
    """A JPEG of the scene whose EXIF says it was taken at `taken`, in the diary's zone."""
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    SCENES[scene](draw, rng)
    width, height = PHOTO_SIZE
    draw.rectangle((0, height - 56, width, height), fill=(0, 0, 0))
    draw.text((20, height - 28), caption, fill=(255, 255, 255), font=_font(26), anchor="lm")

    local = timezone.localtime(taken, zone)
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[EXIF_DATETIME_ORIGINAL] = f"{local:%Y:%m:%d %H:%M:%S}"
    offset = f"{local:%z}"
    exif_ifd[EXIF_OFFSET_TIME_ORIGINAL] = f"{offset[:3]}:{offset[3:]}"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()
