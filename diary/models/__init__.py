"""The owner's diary: entries and their versions, evidence files, physical items, the ledger.

Nothing here is edited in place once recorded. A change to an entry or an item adds a version;
withdrawing adds a withdrawal. The only fields ever updated are the `current` pointers, which
name the latest version so the timeline needs no subquery to find it.

One module a concern; every model is imported here, so the app label, the migrations and
`from diary.models import Entry` stay as they were.
"""

from diary.models.accounts import User, UserManager
from diary.models.diaries import Diary, DiarySettingsChange, default_time_zone, validate_time_zone
from diary.models.entries import Account, Entry, EntryVersion, EntryWithdrawal
from diary.models.exports import Export
from diary.models.files import Evidence, EvidenceKindChange, KeptFile
from diary.models.idempotency import IdempotencyKey
from diary.models.imports import ImportedMessage, MessageImport, PendingImport
from diary.models.items import Item, ItemVersion
from diary.models.jobs import Job
from diary.models.ledger import HeadTimestamp, LedgerRecord, TimestampFailure, record_body
from diary.models.ledgered import LEDGER_V, Ledgered
from diary.models.person import PersonVersion, Relationship
from diary.models.risk import RiskChecklist
from diary.models.safety import AccessEvent, Notice, OwnerSession
from diary.models.signing import KeyRotation
from diary.models.times import EARLIEST_YEAR, check_occurrence, check_times, json_value, json_values
from diary.models.uploads import Upload, UploadFinish, UploadPiece

__all__ = [
    "EARLIEST_YEAR",
    "LEDGER_V",
    "AccessEvent",
    "Account",
    "Diary",
    "DiarySettingsChange",
    "Entry",
    "EntryVersion",
    "EntryWithdrawal",
    "Evidence",
    "EvidenceKindChange",
    "Export",
    "HeadTimestamp",
    "IdempotencyKey",
    "ImportedMessage",
    "Item",
    "ItemVersion",
    "Job",
    "KeptFile",
    "KeyRotation",
    "LedgerRecord",
    "Ledgered",
    "MessageImport",
    "Notice",
    "OwnerSession",
    "PendingImport",
    "PersonVersion",
    "Relationship",
    "RiskChecklist",
    "TimestampFailure",
    "Upload",
    "UploadFinish",
    "UploadPiece",
    "User",
    "UserManager",
    "check_occurrence",
    "check_times",
    "default_time_zone",
    "json_value",
    "json_values",
    "record_body",
    "validate_time_zone",
]
