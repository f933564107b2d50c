"""A contact's receipt carries the ledger record of their send (its sequence number and hash)
and the head at that record signed by the instance's key: as a page, a file to keep, a QR code
to photograph or print, and in the API. Only the device it was sent from can fetch it."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from diary.core import signing
from diary.core.hashing import iso
from diary.models import LedgerRecord
from diary.web.qr import qr_svg
from tests.witnesses.conftest import invite, opened
from tests.witnesses.factories import (
    device_of,
    make_submission,
    make_witness,
    submission_content,
    witness_api_client,
)
from witnesses.models import Submission
from witnesses.services.links import link_revoke

pytestmark = pytest.mark.django_db


def sent(client) -> Submission:
    response = client.post(
        reverse("witness:home"),
        {
            "kind": "saw",
            "occurred_start": "2026-11-19T21:00",
            "precision": "exact",
            "what_happened": "The grey car",
        },
    )
    assert response.status_code == 302, response.status_code
    return Submission.objects.order_by("-pk").first()


def record_of(submission: Submission) -> LedgerRecord:
    return LedgerRecord.objects.get(
        kind="submission.submit", object=f"witnesses.submission:{submission.pk}"
    )


def test_the_receipt_file_names_the_sends_record_and_a_signed_head(owner, witness_client):
    submission = sent(witness_client)
    record = record_of(submission)
    response = witness_client.get(reverse("witness:receipt_file", args=[submission.reference]))
    assert response.status_code == 200
    name = f"receipt-{submission.reference}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    receipt = json.loads(response.content)
    assert receipt["format"] == "sightline-receipt/1"
    assert receipt["reference"] == submission.reference
    assert receipt["content_sha256"] == submission.content_sha256 == record.content_sha256
    assert (receipt["seq"], receipt["hash"]) == (record.seq, record.hash)
    head = receipt["head"]
    assert head["format"] == "sightline-head/1"
    assert (head["diary"], head["seq"], head["hash"]) == (owner.diary.pk, record.seq, record.hash)
    assert head["at"] == iso(record.at)
    assert signing.verify_signed(head)
    assert "grey car" not in response.content.decode()


def test_the_page_shows_the_record_and_a_qr_code_of_the_same_receipt(witness_client):
    submission = sent(witness_client)
    record = record_of(submission)
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False):
        page = witness_client.get(reverse("witness:receipt", args=[submission.reference]))
        file = witness_client.get(reverse("witness:receipt_file", args=[submission.reference]))
    html = page.content.decode()
    assert f"data-receipt-seq>{record.seq}<" in html
    assert f"data-receipt-hash>{record.hash}<" in html
    assert reverse("witness:receipt_file", args=[submission.reference]) in html
    # Ed25519 is deterministic: at the same moment the code holds exactly the file's receipt.
    compact = json.dumps(json.loads(file.content), sort_keys=True, separators=(",", ":"))
    assert str(qr_svg(compact)) in html
    assert len(compact) < 1_000


def test_the_api_receipt_carries_the_same_record_and_head(owner, pat_api):
    response = pat_api.post(
        reverse("witnesses_api:witness_submissions"),
        {"kind": "saw", "what_happened": "The grey car"},
        format="json",
    )
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(reference=response.json()["reference"])
    record = record_of(submission)
    receipt = response.json()["receipt"]
    assert (receipt["seq"], receipt["hash"]) == (record.seq, record.hash)
    assert receipt["content_sha256"] == record.content_sha256
    assert signing.verify_signed(receipt["head"])
    listed = pat_api.get(reverse("witnesses_api:witness_submissions")).json()
    items = listed["results"] if isinstance(listed, dict) else listed
    assert [item["receipt"]["seq"] for item in items] == [record.seq]


def test_each_receipt_names_its_own_record_in_one_query_for_the_list(owner, pat_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    device = device_of(pat_api)
    for _ in range(3):
        make_submission(device)
    with CaptureQueriesContext(connection) as few:
        pat_api.get(reverse("witnesses_api:witness_submissions"))
    make_submission(device)
    make_submission(device)
    with CaptureQueriesContext(connection) as more:
        listed = pat_api.get(reverse("witnesses_api:witness_submissions")).json()
    assert len(more) == len(few)
    items = listed["results"] if isinstance(listed, dict) else listed
    seqs = {s.reference: record_of(s).seq for s in Submission.objects.filter(device=device)}
    assert {item["reference"]: item["receipt"]["seq"] for item in items} == seqs


@pytest.mark.parametrize(
    "who", ["outsider", "same_contact_other_phone", "other_owners_contact", "revoked"]
)
def test_only_the_device_that_sent_it_fetches_the_receipt(owner, other_owner, who):
    from django.test import Client

    witness, token = invite(owner)
    sender = opened(token)
    submission = sent(sender)
    url = reverse("witness:receipt_file", args=[submission.reference])
    if who == "outsider":
        client = Client()
    elif who == "same_contact_other_phone":
        client = opened(token, user_agent="Mozilla/5.0 (iPhone) Safari/17")
    elif who == "other_owners_contact":
        client = opened(make_witness(other_owner)[1])
    else:
        link_revoke(witness=witness, actor=owner)
        client = sender
    response = client.get(url)
    assert response.status_code == 404
    assert submission.content_sha256 not in response.content.decode()


def test_the_receipt_is_not_shown_to_the_owner_pages_of_another_owner(other_client, pat_api):
    response = pat_api.post(
        reverse("witnesses_api:witness_submissions"), submission_content(), format="json"
    )
    reference = response.json()["reference"]
    assert other_client.get(reverse("witness:receipt_file", args=[reference])).status_code == 404


def test_a_revoked_link_gets_no_receipt_on_the_api_either(owner):
    witness, token = make_witness(owner)
    client = witness_api_client(token)
    make_submission(device_of(client))
    link_revoke(witness=witness, actor=owner)
    assert client.get(reverse("witnesses_api:witness_submissions")).status_code == 403
