"""A signed head, "a copy for someone I trust": the owner downloads at any time a small file
naming her ledger's last record, signed by the instance's key, with no words of her diary."""

import json

import pytest
from django.urls import reverse

from diary.core import signing
from diary.core.hashing import iso
from diary.models import AccessEvent, LedgerRecord
from tests.factories import make_entry
from tests.witnesses.factories import make_witness, witness_api_client
from witnesses.services.links import link_revoke

pytestmark = pytest.mark.django_db


def downloaded(client) -> dict:
    response = client.get(reverse("diary:head_download"))
    assert response.status_code == 200, response.status_code
    return response, json.loads(response.content)


def test_the_owner_downloads_her_diarys_head_signed(owner, owner_client):
    make_entry(owner, what_happened="The grey car again, at 21:03")
    last = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    response, head = downloaded(owner_client)
    name = f"head-{owner.diary.pk}-{last.seq}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert head["format"] == "sightline-head/1"
    assert (head["diary"], head["seq"], head["hash"]) == (owner.diary.pk, last.seq, last.hash)
    assert head["at"] == iso(last.at)
    assert set(head) == {"format", "diary", "seq", "hash", "at", "made_at", "key", "signature"}
    assert head["key"] == signing.current_key().described()
    assert signing.verify_signed(head)
    assert not signing.verify_signed({**head, "seq": last.seq - 1})
    assert "grey car" not in response.content.decode()
    # A read, not a write: the ledger is as it was, and the access log has the download.
    assert LedgerRecord.objects.filter(diary=owner.diary).count() == last.seq
    event = AccessEvent.objects.get(user=owner, kind=AccessEvent.Kind.HEAD_DOWNLOAD)
    assert event.detail == str(last.seq)


def test_the_page_says_who_to_send_it_to_and_that_it_holds_no_words(owner, owner_client):
    last = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    html = owner_client.get(reverse("diary:head")).content.decode()
    assert "holds no words of your diary" in html
    assert "someone you trust" in html
    assert f"head-{owner.diary.pk}-{last.seq}.json" in html
    assert reverse("diary:head_download") in html
    assert reverse("diary:head") in owner_client.get(reverse("diary:exports")).content.decode()
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.HEAD_DOWNLOAD).exists()


def test_a_later_head_follows_what_was_written_since(owner, owner_client):
    _, first = downloaded(owner_client)
    make_entry(owner)
    _, second = downloaded(owner_client)
    assert second["seq"] > first["seq"]
    assert LedgerRecord.objects.get(diary=owner.diary, seq=first["seq"]).hash == first["hash"]


def test_another_owner_gets_only_her_own_diarys_head(owner, other_owner, other_client):
    make_entry(owner)
    _, head = downloaded(other_client)
    assert head["diary"] == other_owner.diary.pk
    mine = LedgerRecord.objects.filter(diary=owner.diary).values_list("hash", flat=True)
    assert head["hash"] not in set(mine)


@pytest.mark.parametrize("who", ["outsider", "contact", "other_owners_contact", "revoked"])
def test_nobody_but_an_owner_gets_a_head(owner, other_owner, who):
    if who == "outsider":
        from django.test import Client

        client = Client()
    else:
        witness, token = make_witness(other_owner if who == "other_owners_contact" else owner)
        client = witness_api_client(token)
        if who == "revoked":
            link_revoke(witness=witness, actor=owner)
    for name in ("diary:head", "diary:head_download"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.HEAD_DOWNLOAD).exists()


def test_the_api_gives_the_same_signed_head(owner, api):
    last = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    response = api.get(reverse("api:ledger_head"))
    assert response.status_code == 200
    head = json.loads(response.content)
    assert (head["seq"], head["hash"]) == (last.seq, last.hash)
    assert signing.verify_signed(head)
    name = f"head-{owner.diary.pk}-{last.seq}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.HEAD_DOWNLOAD).exists()


def test_the_api_refuses_anyone_but_an_owner(owner, pat_api):
    from rest_framework.test import APIClient

    assert APIClient().get(reverse("api:ledger_head")).status_code == 403
    assert pat_api.get(reverse("api:ledger_head")).status_code == 403
