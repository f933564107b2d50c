"""He holds a link she has since stopped."""

from django.urls import reverse

from tests.security.conftest import HER_PHONE, SENTINEL, body, browser
from witnesses.models import Submission, WitnessDevice
from witnesses.services.brief import brief_update
from witnesses.services.links import link_revoke, witness_invite

NEUTRAL = "This link is no longer active."


def test_a_stopped_link_shows_nothing_and_keeps_nothing(owner):
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={"person": "Tall man", "vehicles": "", "places": "", "what_to_record": ""},
    )
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour", sharing="all"
    )
    him = browser()
    assert him.get(f"/w/{token}").status_code == 302
    assert SENTINEL in body(him.get(reverse("witness:home")))  # shared with all, for now
    link_revoke(witness=witness, actor=owner)

    for response in (him.get(reverse("witness:home")), browser().get(f"/w/{token}")):
        assert response.status_code == 404
        text = body(response)
        assert NEUTRAL in text
        assert SENTINEL not in text and "Tall man" not in text and "Pat" not in text
    assert WitnessDevice.objects.filter(link__witness=witness).count() == 1

    response = him.post(
        reverse("witness:home"),
        {"kind": "saw", "occurred_start": "2026-11-20T17:30", "what_happened": "x"},
    )
    assert response.status_code == 404
    for url in ("/api/witness/brief/", "/api/witness/timeline/", "/api/witness/submissions/"):
        response = him.get(url)
        assert response.status_code == 403, url
        assert SENTINEL not in body(response)
    response = him.post(
        "/api/witness/submissions/",
        {"kind": "saw", "occurred_start": "2026-11-20T17:30Z", "what_happened": "x"},
    )
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_the_same_page_for_a_stopped_an_expired_and_a_made_up_link(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    link_revoke(witness=witness, actor=owner)
    pages = [browser(agent=HER_PHONE).get(f"/w/{t}") for t in (token, "A" * 43)]
    assert [p.status_code for p in pages] == [404, 404]
    assert body(pages[0]).replace(token, "") == body(pages[1]).replace("A" * 43, "")
