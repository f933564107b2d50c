"""He makes an account of his own and walks the numbers in the URLs. Her things and things
that do not exist get the same answer, so he cannot even learn what exists."""

import re

from django.urls import reverse

from diary.bundle.services import export_create
from diary.core.crypto import stored_key
from diary.evidence.services import evidence_attach
from diary.models import Entry, LedgerRecord, OwnerSession
from diary.risk.questions import QUESTIONS
from diary.risk.services import risk_checklist_complete
from tests.factories import OwnerFactory, jpeg_bytes, make_item, upload
from tests.security.conftest import SENTINEL, body, browser, sign_in
from witnesses.models import SubmissionFile
from witnesses.selectors import witness_actor
from witnesses.services.links import witness_invite
from witnesses.services.submissions import submission_create

MISSING = 987_654


def normalised(text: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def her_things(owner):
    evidence = evidence_attach(entry=owner.sentinel_entry, actor=owner, upload=upload())
    item = make_item(owner, description=SENTINEL)
    export = export_create(diary=owner.diary, actor=owner)
    checklist = risk_checklist_complete(
        diary=owner.diary, actor=owner, answers={q.code: q.choices[-1][0] for q in QUESTIONS}
    )
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    pat = browser()
    pat.get(f"/w/{token}")
    submission = submission_create(
        device=witness_actor(pat.cookies["w"].value),
        content={
            "kind": "saw",
            "occurred_start": owner.sentinel_entry.received_at,
            "what_happened": SENTINEL,
        },
        uploads=[upload("seen.jpg", jpeg_bytes())],
    )
    her_phone = browser()
    her_phone.force_login(owner)
    return {
        "entry_id": owner.sentinel_entry.pk,
        "evidence_id": evidence.pk,
        "item_id": item.pk,
        "export_id": export.pk,
        "risk_id": checklist.pk,
        "witness_id": witness.pk,
        "submission_id": submission.pk,
        "file_id": SubmissionFile.objects.get(submission=submission).pk,
        "session_id": OwnerSession.objects.get(
            session_key=stored_key(her_phone.session.session_key)
        ).pk,
    }


ROUTES = [
    ("get", "diary:entry", "entry_id"),
    ("post", "diary:entry_amend", "entry_id"),
    ("post", "diary:entry_withdraw", "entry_id"),
    ("get", "diary:evidence_original", "evidence_id"),
    ("get", "diary:evidence_preview", "evidence_id"),
    ("get", "diary:item", "item_id"),
    ("get", "diary:export_download", "export_id"),
    ("get", "diary:risk_checklist", "risk_id"),
    ("get", "witnesses:contact", "witness_id"),
    ("post", "witnesses:contact_revoke", "witness_id"),
    ("get", "witnesses:submission", "submission_id"),
    ("post", "witnesses:accept", "submission_id"),
    ("get", "witnesses:file_original", "file_id"),
    ("post", "diary:session_end", "session_id"),
    ("get", "api:entry", "entry_id"),
    ("post", "api:entry_versions", "entry_id"),
    ("get", "api:evidence_original", "evidence_id"),
    ("get", "api:export_download", "export_id"),
    ("get", "witnesses_api:witness", "witness_id"),
    ("post", "witnesses_api:inbox_accept", "submission_id"),
]


def test_her_ids_and_missing_ids_look_the_same_to_him(owner):
    ids = her_things(owner)
    stranger = OwnerFactory(email="someone@example.com")
    him = browser()
    sign_in(him, stranger.email)
    him.get(reverse("diary:timeline"))  # reads the "signed in" message, so pages compare
    ledger_before = LedgerRecord.objects.filter(diary=owner.diary).count()
    for method, name, key in ROUTES:
        real = getattr(him, method)(reverse(name, kwargs={key: ids[key]}))
        missing = getattr(him, method)(reverse(name, kwargs={key: MISSING}))
        assert real.status_code == missing.status_code == 404, name
        assert normalised(body(real)) == normalised(body(missing)), name
        assert SENTINEL not in body(real), name
        # Read back: nothing of hers changed.
        assert LedgerRecord.objects.filter(diary=owner.diary).count() == ledger_before, name
        assert OwnerSession.objects.get(pk=ids["session_id"]).ended_at is None, name
        assert Entry.objects.get(pk=ids["entry_id"]).current.what_happened == SENTINEL, name
