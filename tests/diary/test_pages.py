"""The owner's pages, driven as a browser would, with the database read back afterwards."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.evidence.services import evidence_attach
from diary.models import Entry, EntryVersion, EntryWithdrawal, Evidence, Item, LedgerRecord
from diary.records import services
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, make_item, upload

pytestmark = pytest.mark.django_db


def test_home_sends_visitors_to_sign_in_and_owners_to_their_timeline(anon_client, owner_client):
    assert anon_client.get("/").url == reverse("account_login")
    assert owner_client.get("/").url == reverse("diary:timeline")


def test_the_sign_in_page_is_served(anon_client):
    response = anon_client.get(reverse("account_login"))
    assert response.status_code == 200
    assert b"Leave this site" in response.content


def test_quick_capture_records_an_entry_with_a_photo(owner, owner_client):
    when = timezone.now() - timedelta(minutes=30)
    response = owner_client.post(
        reverse("diary:capture"),
        {
            "what_happened": "He was waiting by the gate when I got home.",
            "occurred_start": when.astimezone(owner.diary.zone).strftime("%Y-%m-%dT%H:%M"),
            "precision": "approximate",
            "behaviours": ["loitering"],
            "location": "Home",
            "file": upload("gate.jpg", jpeg_bytes()),
        },
    )
    entry = Entry.objects.get()
    assert response.url == reverse("diary:entry", args=[entry.pk])
    assert entry.current.precision == "approximate"
    assert entry.current.behaviours == ["loitering"]
    assert abs(entry.current.occurred_start - when) < timedelta(minutes=1)
    assert Evidence.objects.get().entry == entry
    page = owner_client.get(response.url)
    assert b"He was waiting by the gate" in page.content
    assert (
        reverse("diary:evidence_preview", args=[Evidence.objects.get().pk]).encode() in page.content
    )


def test_quick_capture_defaults_when_to_now_in_the_owners_zone(owner_client):
    with time_machine.travel("2026-07-01 12:00:30+00:00", tick=False):
        page = owner_client.get(reverse("diary:capture"))
    # Noon UTC is 13:00 in London in summer.
    assert b'value="2026-07-01T13:00"' in page.content


def test_a_refused_photo_leaves_no_entry_behind(owner_client, settings):
    response = owner_client.post(
        reverse("diary:capture"),
        {
            "what_happened": "Letter through the door.",
            "occurred_start": "2026-01-05T10:00",
            "precision": "exact",
            "file": upload("letter.jpg", PDF_BYTES),
        },
    )
    assert response.status_code == 200
    assert "content is a PDF" in response.content.decode()
    assert not Entry.objects.exists()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"occurred_start": "2099-01-01T10:00"}, messages.WHEN_IN_FUTURE),
        ({"occurred_start": "not a date"}, "Enter a valid date/time."),
        ({"what_happened": ""}, "This field is required."),
        (
            {
                "precision": "range",
                "occurred_end": "2026-01-01T09:00",
                "occurred_start": "2026-01-01T10:00",
            },
            messages.END_BEFORE_START,
        ),
        ({"behaviours": ["nonsense"]}, "Select a valid choice."),
        ({"what_happened": "x" * 10_001}, "Ensure this value has at most 10000 characters"),
    ],
)
def test_the_full_form_shows_clear_errors(owner_client, data, message):
    post = {
        "what_happened": "Something.",
        "occurred_start": "2026-01-01T10:00",
        "precision": "exact",
        **data,
    }
    response = owner_client.post(reverse("diary:entry_new"), post)
    assert response.status_code == 200
    assert str(message) in response.content.decode()
    assert not Entry.objects.exists()


def test_the_full_form_takes_every_field(owner_client):
    response = owner_client.post(
        reverse("diary:entry_new"),
        {
            "what_happened": "Followed me from the station.",
            "occurred_start": "2026-03-01T18:00",
            "occurred_end": "2026-03-01T18:20",
            "precision": "range",
            "location": "Station Road",
            "latitude": "51.5",
            "longitude": "-0.12",
            "behaviours": ["watching", "contact"],
            "channel": "in_person",
            "words_used": "I'll see you soon.",
            "vehicle_registration": "KX19 ABC",
            "vehicle_make": "Ford Focus",
            "vehicle_colour": "Grey",
            "clothing": "Black hoodie",
            "others_present": "A neighbour",
            "impact": "I took a taxi home.",
            "police_reported": "on",
            "police_reference": "CAD 4471",
            "police_officer": "PC 1234 Smith",
            "police_said": "Keep the diary going.",
            "police_action": "A call back.",
        },
    )
    version = EntryVersion.objects.get()
    assert response.status_code == 302
    assert version.precision == "range"
    assert version.occurred_end - version.occurred_start == timedelta(minutes=20)
    # 18:00 in London in March is 18:00 UTC (winter time).
    assert version.occurred_start.isoformat() == "2026-03-01T18:00:00+00:00"
    assert version.police_reported is True
    assert version.vehicle_registration == "KX19 ABC"
    assert version.behaviours == ["contact", "watching"]


def test_amending_through_the_page_adds_a_version(owner, owner_client):
    entry = make_entry(owner, what_happened="Original words.")
    form = owner_client.get(reverse("diary:entry_amend", args=[entry.pk]))
    assert b"Original words." in form.content
    response = owner_client.post(
        reverse("diary:entry_amend", args=[entry.pk]),
        {
            "what_happened": "Better words.",
            "occurred_start": "2026-01-01T10:00",
            "precision": "exact",
        },
    )
    assert response.url == reverse("diary:entry", args=[entry.pk])
    assert list(entry.versions.order_by("number").values_list("what_happened", flat=True)) == [
        "Original words.",
        "Better words.",
    ]
    page = owner_client.get(response.url).content.decode()
    assert "Every version" in page
    assert "Original words." in page and "Better words." in page


def test_withdrawing_through_the_page(owner, owner_client):
    entry = make_entry(owner, what_happened="Wrote this twice.")
    response = owner_client.post(
        reverse("diary:entry_withdraw", args=[entry.pk]), {"reason": "Duplicate."}
    )
    assert response.url == reverse("diary:timeline")
    assert EntryWithdrawal.objects.get(entry=entry).reason == "Duplicate."
    assert b"Wrote this twice." not in owner_client.get(reverse("diary:timeline")).content
    withdrawn = owner_client.get(reverse("diary:withdrawn")).content.decode()
    assert "Wrote this twice." in withdrawn and "Duplicate." in withdrawn
    # A withdrawn entry cannot be amended.
    owner_client.post(
        reverse("diary:entry_amend", args=[entry.pk]),
        {"what_happened": "Sneaky.", "occurred_start": "2026-01-01T10:00", "precision": "exact"},
    )
    assert entry.versions.count() == 1


def test_withdrawing_needs_a_reason(owner, owner_client):
    entry = make_entry(owner)
    response = owner_client.post(reverse("diary:entry_withdraw", args=[entry.pk]), {"reason": ""})
    assert response.status_code == 200
    assert not EntryWithdrawal.objects.exists()


def test_adding_a_file_and_downloading_the_original(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes(exif_time="2026:11:02 18:42:00")
    response = owner_client.post(
        reverse("diary:evidence_add", args=[entry.pk]),
        {"file": upload("car.jpg", data), "kind": "photo", "description": "The car"},
    )
    evidence = Evidence.objects.get()
    assert response.url == reverse("diary:entry", args=[entry.pk])
    download = owner_client.get(reverse("diary:evidence_original", args=[evidence.pk]))
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"] == 'attachment; filename="E001.jpg"'
    assert download["Cache-Control"] == "private, no-store"
    preview = owner_client.get(reverse("diary:evidence_preview", args=[evidence.pk]))
    assert preview["Content-Type"] == "image/jpeg"


def test_a_refused_file_shows_why(owner, owner_client):
    entry = make_entry(owner)
    response = owner_client.post(
        reverse("diary:evidence_add", args=[entry.pk]),
        {"file": upload("notes.txt", b"plain words", "text/plain")},
    )
    assert response.status_code == 200
    assert "content is none of those." in response.content.decode()
    assert not Evidence.objects.exists()


def test_registering_and_updating_an_item(owner, owner_client):
    entry = make_entry(owner)
    response = owner_client.post(
        reverse("diary:item_new"),
        {
            "kind": "letter",
            "description": "Unsigned card",
            "found_at": "2026-02-01T08:00",
            "found_where": "Doormat",
            "found_by": "Me",
            "storage": "paper_bag",
            "entry": entry.pk,
        },
    )
    item = Item.objects.get()
    assert response.url == reverse("diary:item", args=[item.pk])
    assert item.current.entry == entry
    response = owner_client.post(
        reverse("diary:item_amend", args=[item.pk]),
        {
            "kind": "letter",
            "description": "Unsigned card",
            "found_at": "2026-02-01T08:00",
            "storage": "paper_bag",
            "police_handed_at": "2026-02-03T12:00",
            "police_handed_to": "PC 1234 Smith",
            "exhibit_reference": "JS/1",
            "entry": entry.pk,
        },
    )
    item.refresh_from_db()
    assert item.current.number == 2
    assert item.current.exhibit_reference == "JS/1"
    assert b"JS/1" in owner_client.get(reverse("diary:items")).content
    assert b"I001" in owner_client.get(reverse("diary:entry", args=[entry.pk])).content


def test_an_item_cannot_link_to_someone_elses_entry(owner_client, other_owner):
    theirs = make_entry(other_owner)
    response = owner_client.post(
        reverse("diary:item_new"),
        {
            "kind": "gift",
            "description": "Flowers",
            "found_at": "2026-02-01T08:00",
            "entry": theirs.pk,
        },
    )
    assert response.status_code == 200
    assert not Item.objects.exists()


def test_settings_change_the_title_and_zone(owner, owner_client):
    response = owner_client.post(
        reverse("diary:settings"), {"title": "Allotment", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    owner.diary.refresh_from_db()
    assert owner.diary.time_zone == "America/New_York"
    assert (
        b"<title>Settings \xc2\xb7 Allotment</title>"
        in owner_client.get(reverse("diary:settings")).content
    )


def test_times_are_shown_in_the_owners_zone(owner, owner_client):
    make_entry(owner, occurred_start=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    page = owner_client.get(reverse("diary:timeline")).content.decode()
    assert "Wed 1 Jul 2026, 13:00" in page  # 12:00 UTC is 13:00 in London in summer


def test_the_timeline_filters(owner, owner_client):
    make_entry(owner, what_happened="Car outside", behaviours=["watching"])
    make_entry(owner, what_happened="Phone call at night", behaviours=["contact"])
    with_file = make_entry(owner, what_happened="Parcel on the step")
    evidence_attach(entry=with_file, actor=owner, upload=upload())
    timeline = reverse("diary:timeline")

    def shown(**query):
        return owner_client.get(timeline, query).content.decode()

    page = shown(behaviour="watching")
    assert "Car outside" in page and "Phone call" not in page
    page = shown(q="phone")
    assert "Phone call" in page and "Car outside" not in page
    page = shown(with_evidence="on")
    assert "Parcel" in page and "Car outside" not in page
    page = shown(since="2000-01-01", until="2000-01-02")
    assert "Nothing matches" in page
    page = shown(since="2026-02-01", until="2026-01-01")
    assert "date is before the" in page


def test_the_timeline_is_paginated(owner, owner_client):
    for n in range(30):
        make_entry(
            owner,
            what_happened=f"Event number {n:02d}",
            occurred_start=timezone.now() - timedelta(days=n),
        )
    first = owner_client.get(reverse("diary:timeline")).content.decode()
    assert "Event number 00" in first and "Event number 29" not in first
    second = owner_client.get(reverse("diary:timeline"), {"page": 2}).content.decode()
    assert "Event number 29" in second


def test_the_timeline_query_count_does_not_grow(owner, owner_client, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            entry = make_entry(owner, behaviours=["watching"])
            services.entry_amend(
                entry=entry,
                actor=owner,
                content={**entry.current.content_values(), "location": "Park"},
            )
            evidence_attach(entry=entry, actor=owner, upload=upload())

    fill(2)
    with django_assert_max_num_queries(8) as few:
        owner_client.get(reverse("diary:timeline"))
    fill(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get(reverse("diary:timeline"))


def test_the_entry_page_query_count_does_not_grow(
    owner, owner_client, django_assert_max_num_queries
):
    entry = make_entry(owner)
    for n in range(6):
        services.entry_amend(
            entry=entry,
            actor=owner,
            content={**entry.current.content_values(), "location": f"Place {n}"},
        )
        evidence_attach(entry=entry, actor=owner, upload=upload())
        make_item(owner, entry=entry)
    with django_assert_max_num_queries(10):
        response = owner_client.get(reverse("diary:entry", args=[entry.pk]))
    assert response.status_code == 200


OWNER_PAGES = [
    ("diary:timeline", False),
    ("diary:capture", False),
    ("diary:entry_new", False),
    ("diary:withdrawn", False),
    ("diary:items", False),
    ("diary:item_new", False),
    ("diary:settings", False),
    ("diary:entry", "entry"),
    ("diary:entry_amend", "entry"),
    ("diary:entry_withdraw", "entry"),
    ("diary:evidence_add", "entry"),
    ("diary:evidence_original", "evidence"),
    ("diary:evidence_preview", "evidence"),
    ("diary:item", "item"),
    ("diary:item_amend", "item"),
]


@pytest.fixture
def things(owner):
    entry = make_entry(owner)
    return {
        "entry": entry,
        "evidence": evidence_attach(entry=entry, actor=owner, upload=upload()),
        "item": make_item(owner),
    }


def url_for(name, kind, things):
    return reverse(name, args=[things[kind].pk]) if kind else reverse(name)


@pytest.mark.parametrize(("name", "kind"), OWNER_PAGES)
def test_every_owner_page_works_for_the_owner(owner_client, things, name, kind):
    response = owner_client.get(url_for(name, kind, things))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "kind"), OWNER_PAGES)
def test_every_owner_page_sends_visitors_to_sign_in(anon_client, things, name, kind):
    response = anon_client.get(url_for(name, kind, things))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "kind"), [page for page in OWNER_PAGES if page[1]])
def test_another_owner_gets_404_and_changes_nothing(other_client, things, name, kind):
    url = url_for(name, kind, things)
    records = LedgerRecord.objects.count()
    assert other_client.get(url).status_code == 404
    assert other_client.post(
        url, {"reason": "x", "what_happened": "x", "occurred_start": "2026-01-01T10:00"}
    ).status_code in (404, 405)
    assert LedgerRecord.objects.count() == records
    assert EntryWithdrawal.objects.count() == 0


def test_a_signed_in_user_without_a_diary_gets_404(client, django_user_model):
    staff = django_user_model.objects.create_user(email="admin@example.com", password="x" * 12)
    client.force_login(staff)
    assert client.get(reverse("diary:timeline")).status_code == 404


def test_pages_never_say_victim_or_stalking(owner, owner_client, things):
    for name, kind in OWNER_PAGES:
        if name.startswith("diary:evidence_"):
            continue
        text = owner_client.get(url_for(name, kind, things)).content.decode().lower()
        assert "victim" not in text and "stalk" not in text, name


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2026-10-25T01:30", "2026-10-25T00:30:00+00:00"),  # clocks go back: the first 01:30
        ("2026-03-29T01:30", "2026-03-29T01:30:00+00:00"),  # clocks skip 01:00-02:00
    ],
)
def test_times_in_the_hour_the_clocks_change_are_accepted(owner_client, typed, utc):
    response = owner_client.post(
        reverse("diary:capture"),
        {"what_happened": "At night.", "occurred_start": typed, "precision": "exact"},
    )
    assert response.status_code == 302
    assert EntryVersion.objects.get().occurred_start.isoformat() == utc


def test_a_file_must_be_chosen_again_when_the_form_comes_back(owner_client):
    response = owner_client.post(
        reverse("diary:capture"),
        {
            "what_happened": "x",
            "occurred_start": "2099-01-01T10:00",
            "precision": "exact",
            "file": upload("a.jpg", jpeg_bytes()),
        },
    )
    assert response.status_code == 200
    assert "Your file was not kept" in response.content.decode()


def test_a_kind_that_does_not_match_the_file_is_refused(owner, owner_client):
    entry = make_entry(owner)
    response = owner_client.post(
        reverse("diary:evidence_add", args=[entry.pk]),
        {"file": upload("a.jpg", jpeg_bytes()), "kind": "audio"},
    )
    assert response.status_code == 200
    assert "That file is a photo, not audio." in response.content.decode()
    assert not Evidence.objects.exists()
