"""The demo story, as data: a few weeks in the diary of someone an ex-partner, J., will not leave
alone, told the way she would write it, with the people she told and what they sent her.

Oldest first, each incident with the photos she took and the things she kept; then the brief
she shows her contacts, the contacts, what they sent (and what she did with it), and her answers
to the risk checklist. Times are relative (witnesses/demo/parts.py): the story always ends
now. witnesses/demo/builder.py writes it into a diary through the app's own services.

The words the app avoids (DESIGN.md, invariant 9) appear nowhere in it: the app never uses them
unless the owner does, and tests/witnesses/test_seed_demo.py checks what the story writes.
"""

from decimal import Decimal

from diary.models.choices import Behaviour, Channel, ItemKind, Precision, Storage
from witnesses.demo.parts import Contact, Handover, Incident, Kept, Photo, Sent, Story
from witnesses.models import Relationship, Sharing, Statement, SubmissionKind

# The letter, written in twice by mistake: the copy is withdrawn.
LETTER = {
    "precision": Precision.APPROXIMATE,
    "location": "Outside my flat, Elm Road (through the letterbox)",
    "behaviours": [Behaviour.CONTACT, Behaviour.MONITORING, Behaviour.ITEMS],
    "channel": Channel.LETTER,
    "what_happened": (
        "A handwritten letter pushed through my letterbox. No stamp, so it was "
        "delivered by hand. It says he knows which gym I go to."
    ),
    "words_used": (
        "I saw you at the gym on Tuesday. You looked tired. We need to talk before this gets worse."
    ),
    "impact": "Cancelled my gym membership. Feel like I can't go anywhere.",
}

# What happened, in the order she wrote it down.
INCIDENTS = (
    Incident(
        key="bus_stop_number",
        days_ago=26,
        at="08:10",
        content={
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
    ),
    Incident(
        key="texts",
        days_ago=24,
        at="21:00",
        content={
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
        corrected=(
            "Four texts from a number I don't know (corrected: I found a fourth in my filtered "
            "messages). Not signed, but the way they are written is exactly how J. writes. I "
            "didn't reply."
        ),
    ),
    Incident(
        key="car_outside_flat",
        days_ago=23,
        at="18:42",
        content={
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
        corrected=(
            "A grey Ford Focus parked opposite my flat with the engine running for about 35 "
            "minutes (corrected: I checked the time on my phone when it drove off). I could see "
            "J. in the driver's seat. I took a photo from the front window."
        ),
        shared=True,
        photos=(
            Photo(
                name="IMG_2041.jpg",
                minutes=3,
                scene="street",
                caption="Photo of car, Elm Road",
                description="Taken from my front window.",
            ),
        ),
    ),
    Incident(
        key="flowers",
        days_ago=21,
        at="08:30",
        hours=9.5,
        content={
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
        photos=(
            Photo(
                name="IMG_2058.jpg",
                minutes=575,
                scene="doorstep",
                caption="Flowers on the doorstep",
                description="As I found them when I got home.",
            ),
        ),
        kept=(
            Kept(
                minutes=575,
                content={
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
            ),
        ),
    ),
    Incident(
        key="friend_instagram",
        days_ago=20,
        at="12:15",
        content={
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
    ),
    Incident(
        key="work_car_park_morning",
        days_ago=18,
        at="07:55",
        content={
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
    ),
    Incident(
        key="missed_calls",
        days_ago=17,
        at="19:30",
        content={
            "precision": Precision.EXACT,
            "behaviours": [Behaviour.CONTACT],
            "channel": Channel.PHONE_CALL,
            "what_happened": (
                "Five missed calls from a withheld number between 19:30 and 19:50. I didn't "
                "answer. One voicemail: about 40 seconds of silence, then it hangs up."
            ),
            "impact": "Phone on silent for the rest of the evening. Kept the voicemail.",
        },
    ),
    Incident(
        key="door_at_night",
        days_ago=15,
        at="22:40",
        content={
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
    ),
    Incident(
        key="apology_email",
        days_ago=13,
        at="17:00",
        content={
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
    ),
    Incident(
        key="car_scratched",
        days_ago=12,
        at="23:00",
        hours=8,
        content={
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
        photos=(
            Photo(
                name="IMG_2102.jpg",
                minutes=500,
                scene="scratch",
                caption="Scratch on driver's door",
            ),
        ),
    ),
    Incident(
        key="newsagent",
        days_ago=10,
        at="08:05",
        content={
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
    ),
    Incident(
        key="letter",
        days_ago=9,
        at="19:00",
        content=LETTER,
        kept=(
            Kept(
                content={
                    "kind": ItemKind.LETTER,
                    "description": (
                        "Handwritten letter, one side of lined A5 paper, in a plain envelope."
                    ),
                    "found_where": "Hall floor, under the letterbox",
                    "found_by": "Me",
                    "storage": Storage.PAPER_BAG,
                    "handling": "Read once, holding the corners. Not folded again. In a paper bag.",
                    "current_location": "Paper bag in the hall cupboard",
                },
                handed_over=Handover(
                    days_ago=7,
                    at="11:30",
                    police_handed_to="PC 1234 Smith",
                    exhibit_reference="JS/1",
                    current_location="With the police (exhibit JS/1)",
                ),
            ),
        ),
    ),
    Incident(
        key="letter_written_again",
        days_ago=9,
        at="19:00",
        content=LETTER,
        withdrawn="Wrote this twice by mistake.",
    ),
    Incident(
        key="mum_phoned",
        days_ago=6,
        at="14:00",
        content={
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
    ),
    Incident(
        key="work_car_park_evening",
        days_ago=5,
        at="17:50",
        content={
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
        shared=True,
        photos=(
            Photo(
                name="IMG_2177.jpg",
                minutes=4,
                scene="car_park",
                caption="Same car, work car park",
                description="Taken from reception.",
            ),
        ),
    ),
    Incident(
        key="package",
        days_ago=3,
        at="12:00",
        hours=3,
        content={
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
        kept=(
            Kept(
                minutes=240,
                content={
                    "kind": ItemKind.PACKAGE,
                    "description": (
                        "Small brown parcel, no sender, containing a printed photo of me."
                    ),
                    "found_where": "Number 14, Elm Road",
                    "found_by": "Mrs Patel (neighbour at number 14), who took it in",
                    "storage": Storage.BOXED,
                    "handling": (
                        "Opened once. Photo put back inside and the parcel kept in a shoebox. Mrs "
                        "Patel also handled the outside."
                    ),
                    "current_location": "Shoebox in the hall cupboard",
                },
            ),
        ),
    ),
    Incident(
        key="new_account",
        days_ago=1,
        at="21:15",
        content={
            "precision": Precision.EXACT,
            "behaviours": [Behaviour.MONITORING],
            "channel": Channel.SOCIAL_MEDIA,
            "what_happened": (
                "A new account with no photo followed me on Instagram and watched every "
                "story within minutes. The username is a play on J.'s nickname. I took "
                "screenshots, then blocked it."
            ),
        },
    ),
    Incident(
        key="curtains",
        minutes_ago=40,
        content={
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
    ),
)

# What she shows the people she invites.
BRIEF = {
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

# The people she invited, and the phone each opened their link on.
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
CONTACTS = (
    Contact(
        key="mum",
        name="Mum",
        relationship=Relationship.FAMILY,
        contact="07700 900123",
        sharing=Sharing.MARKED,
        phone=IPHONE,
    ),
    Contact(
        key="priya",
        name="Priya at work",
        relationship=Relationship.COLLEAGUE,
        contact="priya@example.com",
        sharing=Sharing.BRIEF,
        phone=IPHONE,
    ),
    Contact(
        key="okafor",
        name="Mr Okafor next door",
        relationship=Relationship.NEIGHBOUR,
        contact="07700 900456",
        sharing=Sharing.ALL,
        phone=ANDROID,
    ),
)

# What they sent, as it arrived, and what she did with it; the rest wait in her inbox.
SENT = (
    Sent(
        key="car_next_door",
        by="okafor",
        days_ago=2,
        at="19:20",
        content={
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
        photo=Photo(
            name="PXL_4417.jpg",
            minutes=6,
            scene="street",
            caption="From next door, Elm Road",
        ),
        added=True,
    ),
    Sent(
        key="car_park_priya",
        by="priya",
        days_ago=5,
        at="17:45",
        content={
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
        kept_aside=(
            "Same evening as my own entry from the work car park, and Dave's log covers it."
        ),
    ),
    Sent(
        key="mum_landline",
        by="mum",
        days_ago=2,
        at="18:00",
        content={
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
    ),
    Sent(
        key="cafe_priya",
        by="priya",
        days_ago=1,
        at="12:30",
        content={
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
    ),
    Sent(
        key="side_gate",
        by="okafor",
        days_ago=1,
        at="07:15",
        content={
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
        follow_up=(
            "I've put the cigarette ends in a sandwich bag without touching them, in case "
            "they're needed. I'll keep the gate bolted from now on."
        ),
    ),
)

# Her own answers to the risk checklist; where the diary already shows one, she confirms the
# diary's suggestion.
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

# About the person, as she filled it in (the brief above is what she chose to show contacts).
PERSON = {
    "name": "James Whitford",
    "description": (
        "Mid-thirties, about 5'10\", slim, short dark hair, usually a short beard. Often a navy "
        "puffer jacket, a grey beanie and a black rucksack."
    ),
    "relationship": "former_partner",
    "vehicles": "Grey Ford Focus hatchback, KX19 ABC\nHis brother's white Transit van",
    "addresses": "Flat 2, 18 Canal Street, Leeds\nWorks at the tyre centre on Kirkstall Road",
}

STORY = Story(
    time_zone="Europe/London",
    incidents=INCIDENTS,
    brief=BRIEF,
    person=PERSON,
    contacts=CONTACTS,
    sent=SENT,
    checklist=CHECKLIST,
    shown_link="mum",  # Mum's link is the one shown, so a newcomer can open the contacts' side
)

# For a bigger diary (build_demo(size=...)): more people she told, and what she writes then.
MORE_NAMES = (
    "Pat",
    "Sam",
    "Alex",
    "Jo",
    "Chris",
    "Robin",
    "Kim",
    "Lee",
    "Morgan",
    "Taylor",
    "Jamie",
    "Casey",
    "Drew",
    "Ash",
    "Jordan",
    "Charlie",
    "Frankie",
    "Rowan",
    "Sasha",
    "Eden",
)
ADDED_LATER = "Added later: still shaken."
WRITTEN_TWICE = "Entered twice by mistake."
NOT_ABOUT_HIM = "Not about him."
