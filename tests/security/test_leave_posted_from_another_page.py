"""A page of his on another port or subdomain of the same host (same-site, so the SameSite=Lax
cookies go with its posts) posts to "Leave this site", which takes no CSRF token.

That signed her out, or signed Pat's phone out of her link: with "one phone or browser only" on,
his forwarded link then opened on his phone. Now a leave the browser marks as sent from another
site ends nothing and clears nothing; it only sends the browser on.
"""

from django.conf import settings
from django.urls import reverse

from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import HER_PHONE, HIS_PHONE, browser, sign_in
from witnesses.models import WitnessDevice
from witnesses.services.links import witness_invite

ELSEWHERE = {"HTTP_SEC_FETCH_SITE": "same-site"}


def test_his_page_on_another_port_cannot_sign_her_out(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    for origin in ("same-site", "cross-site"):
        response = her.post(reverse("leave"), HTTP_SEC_FETCH_SITE=origin)
        assert response.status_code == 302 and response.url == settings.QUICK_EXIT_URL
        assert "Clear-Site-Data" not in response
    assert OwnerSession.objects.get(user=owner).ended_at is None
    assert not AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SIGN_OUT).exists()
    assert her.get(reverse("diary:timeline")).status_code == 200

    # Her own page's form (the browser says same-origin) still signs her out.
    response = her.post(reverse("leave"), HTTP_SEC_FETCH_SITE="same-origin")
    assert '"cookies"' in response["Clear-Site-Data"]
    assert OwnerSession.objects.get(user=owner).ended_at is not None


def test_his_page_cannot_sign_pats_phone_out_to_free_her_link(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    witness.one_device = True
    witness.save(update_fields=["one_device"])
    pat = browser(agent=HER_PHONE)
    assert pat.get(f"/w/{token}").status_code == 302

    response = pat.post(reverse("witness:leave"), **ELSEWHERE)
    assert response.status_code == 302
    assert "Clear-Site-Data" not in response
    assert WitnessDevice.objects.get(link__witness=witness).left_at is None
    assert pat.get(reverse("witness:home")).status_code == 200
    # So his forwarded copy still opens nothing.
    assert browser(agent=HIS_PHONE).get(f"/w/{token}").status_code == 403

    pat.post(reverse("witness:leave"), HTTP_SEC_FETCH_SITE="same-origin")
    assert WitnessDevice.objects.get(link__witness=witness).left_at is not None
