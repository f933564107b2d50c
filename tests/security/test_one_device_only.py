"""He opens Pat's forwarded link on his own phone while hers is still on it.

Every new device on a link simply got in, and the owner learnt of it only from the access log.
Now each new device shows her a notice on the contact's page and in the contacts list, and she
can choose "one phone or browser only" for a contact: a second device is then refused with a
plain page, and the refusal is in her access log.
"""

from django.urls import reverse

from diary.models import AccessEvent
from tests.conftest import confirmed
from tests.security.conftest import HER_PHONE, HIS_PHONE, body, browser
from witnesses import messages
from witnesses.models import Witness, WitnessDevice, WitnessEvent
from witnesses.services.links import witness_invite


def owner_client(owner):
    """Her, signed in, confirmed a moment ago (changing what a contact sees asks for it)."""
    client = browser(agent=HER_PHONE)
    client.force_login(owner)
    return confirmed(client)


def test_each_new_device_shows_her_a_notice(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    assert browser(agent=HER_PHONE).get(f"/w/{token}").status_code == 302
    her = owner_client(owner)
    page = body(her.get(reverse("witnesses:contact", args=[witness.pk])))
    assert "Their link opened on a new phone or browser" not in page  # her first: nothing new

    assert browser(agent=HIS_PHONE).get(f"/w/{token}").status_code == 302
    page = body(her.get(reverse("witnesses:contact", args=[witness.pk])))
    assert "Their link opened on a new phone or browser" in page
    assert "Chrome on Android" in page.split("new-device-note", 1)[1].split("</aside>", 1)[0]
    listing = body(her.get(reverse("witnesses:contacts")))
    assert "Their link is open on 2 phones or browsers." in listing


def test_one_device_only_refuses_his_phone_and_tells_her(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    her = owner_client(owner)
    response = her.post(
        reverse("witnesses:contact_sharing", args=[witness.pk]),
        {"sharing": "brief", "one_device": "on"},
    )
    assert response.status_code == 302
    assert Witness.objects.get(pk=witness.pk).one_device is True
    assert WitnessEvent.objects.filter(witness=witness, kind=WitnessEvent.Kind.ONE_DEVICE).exists()

    pat = browser(agent=HER_PHONE)
    assert pat.get(f"/w/{token}").status_code == 302

    him = browser(agent=HIS_PHONE)
    refused = him.get(f"/w/{token}")
    assert refused.status_code == 403
    assert str(messages.ONE_DEVICE_ONLY) in body(refused)
    assert "w" not in refused.cookies
    assert WitnessDevice.objects.filter(link__witness=witness).count() == 1
    assert him.get(reverse("witness:home")).status_code == 404
    logged = AccessEvent.objects.get(user=owner, kind=AccessEvent.Kind.WITNESS_REFUSED)
    assert logged.browser == "Chrome on Android"
    assert logged.detail == "Pat (neighbour)"
    assert "A contact&#x27;s link was refused on another device" in body(
        her.get(reverse("diary:access_log"))
    )

    # Pat's own phone still works.
    assert pat.get(reverse("witness:home")).status_code == 200


def test_once_her_phone_has_left_the_link_opens_on_one_other(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    her = owner_client(owner)
    her.post(
        f"/api/witnesses/{witness.pk}/sharing/",
        {"sharing": "brief", "one_device": True},
        content_type="application/json",
    )
    assert her.get(f"/api/witnesses/{witness.pk}/").json()["one_device"] is True
    pat = browser(agent=HER_PHONE)
    pat.get(f"/w/{token}")
    pat.post(reverse("witness:leave"))
    # One device at a time: her new phone (after leaving) gets in, and then nobody else.
    assert browser(agent=HER_PHONE).get(f"/w/{token}").status_code == 302
    assert browser(agent=HIS_PHONE).get(f"/w/{token}").status_code == 403
    assert WitnessDevice.objects.filter(link__witness=witness, left_at__isnull=True).count() == 1


def test_turning_one_device_on_ends_his_phone_already_on_the_link(owner):
    """She sees "open on 2 phones or browsers" and chooses one device only: the phone that
    opened the link later (his, from the forwarded link) is signed out there and then, and
    Pat's own, the first, stays."""
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    pat = browser(agent=HER_PHONE)
    assert pat.get(f"/w/{token}").status_code == 302
    him = browser(agent=HIS_PHONE)
    assert him.get(f"/w/{token}").status_code == 302
    assert him.get(reverse("witness:home")).status_code == 200

    her = owner_client(owner)
    response = her.post(
        reverse("witnesses:contact_sharing", args=[witness.pk]),
        {"sharing": "brief", "one_device": "on"},
    )
    assert response.status_code == 302
    assert Witness.objects.get(pk=witness.pk).one_device is True

    assert him.get(reverse("witness:home")).status_code == 404
    assert pat.get(reverse("witness:home")).status_code == 200
    open_devices = WitnessDevice.objects.filter(link__witness=witness, left_at__isnull=True)
    assert [d.browser for d in open_devices] == ["Safari on iPhone"]
