"""The ledger covers everything the bundle says (ledger content version 2): changing any of
these in the database is named by verify_ledger, and a bundle made after it fails verify.py;
a ledger written before version 2 (its rows at ledger_v=1) still verifies."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from diary.bundle.offline import verify as offline
from diary.bundle.services import BundleFailedCheck, export_create, unzip_to
from diary.core.hashing import GENESIS_HASH, canonical_sha256, text_sha256
from diary.evidence.services import evidence_attach
from diary.ledger.services import LEDGERED
from diary.ledger.verify import ledger_verify
from diary.models import Diary, Entry, EntryVersion, Evidence, Export, LedgerRecord
from diary.records.services import diary_settings_change, entry_amend
from tests.factories import jpeg_bytes, make_entry, upload
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client
from witnesses.models import Submission, SubmissionFile, Witness, WitnessEvent
from witnesses.services.submissions import submission_accept

pytestmark = pytest.mark.django_db


def seq_of(obj):
    """The seq of the (first) record naming `obj`."""
    label = f"{obj._meta.label_lower}:{obj.pk}"
    return LedgerRecord.objects.filter(object=label).order_by("seq").first().seq


def named(obj, words=""):
    """verify_ledger fails, at the record naming `obj`, saying `words`."""
    result = ledger_verify()
    assert not result.ok, "the change was not noticed"
    assert result.problem.seq == seq_of(obj), str(result.problem)
    assert words in result.problem.reason, str(result.problem)


@pytest.fixture
def diary(owner):
    """An owner's entry amended once with a photo, a contact's report with a photo accepted as
    an entry credited to them, and a bundle."""
    own = make_entry(owner, what_happened="The grey car again")
    entry_amend(
        entry=own, actor=owner, content={**own.current.content_values(), "location": "Elm Road"}
    )
    evidence_attach(entry=own, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    _witness, token = make_witness(owner, name="Pat Smith", relationship="neighbour")
    sent = make_submission(
        device_of(witness_api_client(token)), uploads=[upload("van.jpg", jpeg_bytes(size=(80, 60)))]
    )
    submission_accept(submission=sent, actor=owner)
    export_create(diary=owner.diary, actor=owner)
    assert ledger_verify().ok
    return owner.diary


def own_entry(diary):
    return Entry.objects.get(diary=diary, source=Entry.Source.OWNER)


def credited_entry(diary):
    return Entry.objects.get(diary=diary, source=Entry.Source.WITNESS)


def first_version(entry):
    return EntryVersion.objects.get(entry=entry, number=1)


def test_every_row_written_now_hashes_content_version_2(diary):
    for model, path in LEDGERED.items():
        for row in model._default_manager.filter(**{path: diary.pk}):
            assert row.ledger_v == 2
            assert row.ledger_content()["v"] == 2


def test_the_content_names_a_contact_only_by_the_hash_of_their_name(diary):
    event = WitnessEvent.objects.get(witness__diary=diary)
    version = first_version(credited_entry(diary))
    for content in (event.ledger_content(), version.ledger_content()):
        assert "Pat" not in canonical_sha256(content) + str(content)
    assert event.ledger_content()["name_sha256"] == text_sha256("Pat Smith")
    assert version.ledger_content()["reported_by_sha256"] == text_sha256("Pat Smith (neighbour)")


# An entry's row: when it was first received, its number, where it came from, who it is
# credited to. Each version's content holds them; the first version's record is named.
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("received_at", None),
        ("number", 99),
        ("reported_by", "Someone Else (friend)"),
        ("source", Entry.Source.OWNER),
        ("origin", "witnesses.submission:999"),
    ],
)
def test_changing_an_entry_credited_to_a_contact_is_named(diary, field, value):
    entry = credited_entry(diary)
    if field == "received_at":
        value = entry.received_at - timedelta(days=20)
    if field == "reported_by":
        entry.reported_by = value  # encrypted: saved through the model
        entry.save(update_fields=["reported_by"])
    else:
        Entry.objects.filter(pk=entry.pk).update(**{field: value})
    named(first_version(entry), "has changed")


def test_changing_when_the_owners_entry_was_first_received_is_named(diary):
    entry = own_entry(diary)
    Entry.objects.filter(pk=entry.pk).update(received_at=entry.received_at - timedelta(days=20))
    named(first_version(entry), "has changed")


def test_pointing_an_entry_at_an_earlier_version_is_named(diary):
    entry = own_entry(diary)
    Entry.objects.filter(pk=entry.pk).update(current=first_version(entry))
    named(EntryVersion.objects.get(entry=entry, number=2), "latest version")


def test_changing_the_diarys_time_zone_is_named(diary):
    Diary.objects.filter(pk=diary.pk).update(time_zone="America/New_York")
    named(diary, "time zone")


def test_changing_the_diarys_title_is_named(diary):
    row = Diary.objects.get(pk=diary.pk)
    row.title = "Something else"
    row.save(update_fields=["title"])
    named(diary, "title")


def test_changing_the_time_zone_it_was_made_with_is_named(diary):
    Diary.objects.filter(pk=diary.pk).update(created_time_zone="America/New_York")
    named(diary, "has changed")


def test_after_a_settings_change_the_diary_is_checked_against_it(diary, owner):
    diary_settings_change(diary=diary, actor=owner, title="Notes", time_zone="Europe/Paris")
    assert ledger_verify().ok
    Diary.objects.filter(pk=diary.pk).update(time_zone="Europe/London")
    change = diary.settings_changes.get()
    named(change, "time zone")


@pytest.mark.parametrize("field", ["name", "relationship"])
def test_changing_a_contacts_name_or_relationship_is_named(diary, field):
    witness = Witness.objects.get(diary=diary)
    if field == "name":
        witness.name = "Someone Else"
        witness.save(update_fields=["name"])
    else:
        Witness.objects.filter(pk=witness.pk).update(relationship="friend")
    named(WitnessEvent.objects.get(witness=witness), "has changed")


@pytest.mark.parametrize("model", [Evidence, SubmissionFile])
def test_giving_a_file_another_files_preview_is_named(diary, model):
    own = Evidence.objects.get(entry=own_entry(diary))
    sent = SubmissionFile.objects.get()
    first, other = (own, sent) if model is Evidence else (sent, own)
    assert first.preview.name and other.preview.name != first.preview.name
    model.objects.filter(pk=first.pk).update(
        preview=other.preview.name, preview_key=other.preview_key
    )
    named(first, "preview")


def test_a_changed_preview_file_is_named(diary):
    evidence = Evidence.objects.get(entry=own_entry(diary))
    default_storage.delete(evidence.preview.name)
    named(evidence, "preview")


def test_changing_a_previews_hash_is_named(diary):
    evidence = Evidence.objects.get(entry=own_entry(diary))
    Evidence.objects.filter(pk=evidence.pk).update(preview_sha256="0" * 64)
    named(evidence, "has changed")


def test_changing_a_stored_bundles_hash_is_named(diary):
    export = Export.objects.get(diary=diary)
    assert len(export.bundle_sha256) == 64
    Export.objects.filter(pk=export.pk).update(bundle_sha256="0" * 64)
    named(export, "has changed")


def test_replacing_a_stored_bundle_is_named(diary, owner):
    export = Export.objects.get(diary=diary)
    later = export_create(diary=diary, actor=owner)
    # The earlier bundle's stored file swapped for the later one (both decrypt: same keys).
    Export.objects.filter(pk=export.pk).update(
        bundle=later.bundle.name, bundle_key=later.bundle_key
    )
    named(export, "has changed")


def test_a_stored_bundles_hash_is_of_the_zip_the_owner_downloads(diary):
    export = Export.objects.get(diary=diary)
    digest = hashlib.sha256(b"".join(export.bundle_file.chunks())).hexdigest()
    assert digest == export.bundle_sha256


def test_a_bundle_cut_in_storage_is_named(diary):
    export = Export.objects.get(diary=diary)
    path = default_storage.path(export.bundle.name)
    with open(path, "r+b") as handle:
        handle.truncate(100)
    named(export, "file")


@pytest.mark.usefixtures("server_check_removed")
def test_a_bundle_made_after_a_change_fails_verify_py(diary, owner, tmp_path):
    entry = credited_entry(diary)
    Entry.objects.filter(pk=entry.pk).update(received_at=entry.received_at - timedelta(days=20))
    folder = unzip_to(export_create(diary=diary, actor=owner), tmp_path / "b")
    with pytest.raises(offline.Failed, match="no ledger record holds its hash"):
        offline.verify(folder)


@pytest.mark.usefixtures("server_check_removed")
def test_a_bundle_showing_an_entry_at_an_earlier_version_fails_verify_py(diary, owner, tmp_path):
    entry = own_entry(diary)
    Entry.objects.filter(pk=entry.pk).update(current=first_version(entry))
    folder = unzip_to(export_create(diary=diary, actor=owner), tmp_path / "b")
    with pytest.raises(offline.Failed, match="#1 v1: shown as the entry's wording"):
        offline.verify(folder)


@pytest.mark.usefixtures("server_check_removed")
@pytest.mark.parametrize("settings_changed", [False, True])
def test_a_bundle_in_another_time_zone_than_the_ledgers_fails_verify_py(
    diary, owner, tmp_path, settings_changed
):
    if settings_changed:
        diary_settings_change(diary=diary, actor=owner, title="Notes", time_zone="Europe/Paris")
    assert offline.verify(unzip_to(export_create(diary=diary, actor=owner), tmp_path / "a"))
    Diary.objects.filter(pk=diary.pk).update(time_zone="America/New_York")
    diary.refresh_from_db()
    folder = unzip_to(export_create(diary=diary, actor=owner), tmp_path / "b")
    with pytest.raises(offline.Failed, match="title or time zone"):
        offline.verify(folder)


def test_a_row_moved_back_to_content_version_1_is_named(diary):
    version = first_version(own_entry(diary))
    EntryVersion.objects.filter(pk=version.pk).update(ledger_v=1)
    named(version, "has changed")


def _as_written_before_version_2(diary):
    """The diary's ledger as a server before this change wrote it: every row at ledger_v=1,
    each record holding the hash of its version 1 content, the chain linked again."""
    for model, path in LEDGERED.items():
        model._default_manager.filter(**{path: diary.pk}).update(ledger_v=1)
    prev = GENESIS_HASH
    for rec in LedgerRecord.objects.filter(diary=diary).order_by("seq"):
        label, _, pk = rec.object.partition(":")
        model = next(m for m in LEDGERED if m._meta.label_lower == label)
        obj = model._default_manager.get(pk=pk)
        content = obj.ledger_content()
        assert "v" not in content  # version 1: exactly the content the old code hashed
        rec.content_sha256, rec.prev_hash = canonical_sha256(content), prev
        rec.hash = prev = rec.computed_hash()
        rec.save()
    # The head kept on the diary, as migration 0029 fills it from the last record.
    Diary.objects.filter(pk=diary.pk).update(head_seq=rec.seq, head_hash=rec.hash)


def test_a_ledger_written_before_version_2_still_verifies(diary):
    _as_written_before_version_2(diary)
    result = ledger_verify()
    assert result.ok, str(result.problem)
    # Its version 1 content is what the old code hashed: an entry version, for one.
    version = first_version(own_entry(diary))
    assert set(version.ledger_content()) == {
        "entry",
        "version",
        "recorded_at",
        "recorded_by",
        *EntryVersion.CONTENT_FIELDS,
    }


def test_in_a_version_1_ledger_what_it_covered_is_still_checked(diary):
    _as_written_before_version_2(diary)
    entry = own_entry(diary)
    # Still checked: what was written, and which version is current.
    Entry.objects.filter(pk=entry.pk).update(current=first_version(entry))
    named(EntryVersion.objects.get(entry=entry, number=2), "latest version")


def test_new_records_after_a_version_1_ledger_are_version_2(diary, owner):
    _as_written_before_version_2(diary)
    entry = make_entry(owner, what_happened="After the upgrade")
    assert entry.current.ledger_v == 2
    assert ledger_verify().ok
    Entry.objects.filter(pk=entry.pk).update(received_at=entry.received_at - timedelta(days=1))
    named(entry.current, "has changed")
    assert Submission.objects.get().ledger_v == 1


def test_an_honest_server_refuses_to_hand_over_a_bundle_its_own_check_fails(diary, owner, tmp_path):
    """The same change as above, with the server's own check in place: no bundle is kept or
    recorded, and the reason names the record, as verify.py would."""
    entry = credited_entry(diary)
    Entry.objects.filter(pk=entry.pk).update(received_at=entry.received_at - timedelta(days=20))
    records = LedgerRecord.objects.filter(diary=diary).count()
    exports = Export.objects.filter(diary=diary).count()
    stored = set((Path(settings.MEDIA_ROOT) / "exports").rglob("*.enc"))
    with pytest.raises(BundleFailedCheck, match="no ledger record holds its hash"):
        export_create(diary=diary, actor=owner)
    assert Export.objects.filter(diary=diary).count() == exports
    assert LedgerRecord.objects.filter(diary=diary).count() == records
    assert set((Path(settings.MEDIA_ROOT) / "exports").rglob("*.enc")) == stored
