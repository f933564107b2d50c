"""He has an open session of hers (he knows the password, or picks up her unlocked phone) and
makes himself a contact link that reads everything, or widens a link he already holds. Nothing
that grants access is made until the owner confirms it is her, with the second step where it is
on; after she confirms, it works."""

import json

from allauth.mfa.models import Authenticator
from django.urls import reverse

from diary import messages
from tests.security.conftest import PASSWORD, browser, sign_in, totp_code
from tests.witnesses.factories import make_witness
from witnesses.models import SharedEntry, Witness, WitnessLink

INVITE = {
    "name": "Uncle Bob",
    "relationship": "family",
    "contact": "07700 900999",
    "sharing": "all",
    "sees_photo": True,
}


def api_post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def signed_in(owner):
    client = browser()
    response = sign_in(client, owner.email)
    assert response.status_code == 302
    assert client.get(reverse("diary:timeline")).status_code == 200  # an open session
    return client


def assert_confirm_first(response, then):
    assert response.status_code == 403
    assert response.json() == {
        "detail": str(messages.CONFIRM_FIRST),
        "confirm_url": f"{reverse('account_reauthenticate')}?next={then}",
    }


def test_an_open_session_cannot_invite_through_the_api(owner):
    him = signed_in(owner)
    response = api_post(him, "/api/witnesses/", INVITE)
    assert_confirm_first(response, reverse("witnesses:contacts"))
    assert "link" not in response.json()
    assert not Witness.objects.exists()
    assert not WitnessLink.objects.exists()


def test_an_open_session_cannot_invite_on_the_page(owner):
    him = signed_in(owner)
    response = him.get(reverse("witnesses:contact_new"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    response = him.post(reverse("witnesses:contact_new"), INVITE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not Witness.objects.exists()
    assert not WitnessLink.objects.exists()


def test_an_open_session_cannot_widen_replace_or_extend_a_link(owner):
    witness, _ = make_witness(owner, sharing="brief")
    [link] = witness.links.all()
    him = signed_in(owner)
    for name, data in (
        ("witness_sharing", {"sharing": "all"}),
        ("witness_reissue", {}),
        ("witness_extend", {"days": 365}),
    ):
        response = api_post(him, reverse(f"witnesses_api:{name}", args=[witness.pk]), data)
        assert_confirm_first(response, reverse("witnesses:contact", args=[witness.pk]))
    for name, data in (
        ("contact_sharing", {"sharing": "all", "sees_photo": "on"}),
        ("contact_reissue", {}),
        ("contact_extend", {}),
    ):
        response = him.post(reverse(f"witnesses:{name}", args=[witness.pk]), data)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("account_reauthenticate")), name
    witness.refresh_from_db()
    assert (witness.sharing, witness.sees_photo) == ("brief", False)
    assert list(witness.links.all()) == [link]
    fresh = WitnessLink.objects.get()
    assert (fresh.expires_at, fresh.revoked_at) == (link.expires_at, link.revoked_at)
    assert fresh.token_sha256 == link.token_sha256


def test_an_open_session_cannot_mark_an_entry_as_shared(owner):
    make_witness(owner, sharing="marked")
    him = signed_in(owner)
    url = reverse("witnesses:share_toggle", args=[owner.sentinel_entry.pk])
    response = him.post(url, {"share": "1"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not SharedEntry.objects.exists()
    response = him.post(response.url, {"password": PASSWORD})
    assert SharedEntry.objects.get().entry == owner.sentinel_entry


def test_stopping_a_link_is_never_held_up(owner):
    witness, _ = make_witness(owner)
    him = signed_in(owner)
    response = api_post(him, reverse("witnesses_api:witness_revoke", args=[witness.pk]), {})
    assert response.status_code == 200
    assert WitnessLink.objects.get().revoked_at is not None


def test_after_she_confirms_the_invite_goes_through(owner):
    her = signed_in(owner)
    response = her.post(reverse("witnesses:contact_new"), INVITE)
    # She confirms; allauth carries on with the invite she sent.
    response = her.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    witness = Witness.objects.get()
    assert response.url == reverse("witnesses:contact_link", args=[witness.pk])
    assert witness.links.count() == 1
    # The same confirmation covers the API for a few minutes.
    response = api_post(her, "/api/witnesses/", {**INVITE, "name": "Aunt Sue"})
    assert response.status_code == 201
    assert response.json()["link"]
    assert Witness.objects.count() == 2
    assert WitnessLink.objects.count() == 2


def test_with_the_second_step_on_the_password_alone_does_not_confirm(owner, totp_secret):
    phone = browser()
    sign_in(phone, owner.email)
    phone.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
    assert phone.get(reverse("diary:timeline")).status_code == 200  # her unlocked phone
    response = phone.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    response = api_post(phone, "/api/witnesses/", INVITE)
    assert_confirm_first(response, reverse("witnesses:contacts"))
    assert not Witness.objects.exists()
    # With the second step (here a recovery code: the app's code was just used), it is her.
    codes = Authenticator.objects.get(user=owner, type=Authenticator.Type.RECOVERY_CODES)
    code = codes.wrap().get_unused_codes()[0]
    response = phone.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 302
    assert api_post(phone, "/api/witnesses/", INVITE).status_code == 201
    assert WitnessLink.objects.count() == 1
