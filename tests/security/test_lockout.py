"""He tries to lock her out by failing to sign in as her, again and again. Lockout is on the
address and the IP together, so his tries lock only his own connection."""

from axes.models import AccessAttempt
from django.urls import reverse

from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import HER_PHONE, SENTINEL, body, browser, shut_out, sign_in


def test_his_failed_tries_lock_only_his_own_connection(owner, settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    him = browser(ip="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(him, owner.email, "not her password")
        assert response.status_code in (200, 429)
    # Locked from his connection: even her real password gets him nowhere.
    response = sign_in(him, owner.email)
    assert response.status_code == 429
    assert "too many failed tries" in body(response)
    assert owner.email not in body(response)
    assert not OwnerSession.objects.filter(user=owner).exists()
    shut_out(him, owner.sentinel_entry.pk)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == (owner.email, "203.0.113.9")

    # She, from her own address, signs in at once.
    her = browser(agent=HER_PHONE, ip="198.51.100.7")
    response = sign_in(her, owner.email)
    assert response.status_code == 302
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert OwnerSession.objects.get(user=owner).ip == "198.51.100.7"

    # And she can read what happened.
    kinds = list(AccessEvent.objects.filter(user=owner).values_list("kind", "ip"))
    assert (AccessEvent.Kind.SIGN_IN_FAILED, "203.0.113.9") in kinds
    assert (AccessEvent.Kind.LOCKED_OUT, "203.0.113.9") in kinds
    assert (AccessEvent.Kind.SIGN_IN, "198.51.100.7") in kinds
    log = body(her.get(reverse("diary:access_log")))
    assert "Sign-in refused: wrong password" in log and "203.0.113.9" in log


def test_behind_a_proxy_the_address_is_the_clients_not_the_proxys(owner, settings):
    """Behind one proxy every request comes from the proxy; counting that address would lock
    everyone out together. The proxy's X-Forwarded-For entry names the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    him = browser(ip=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(him, owner.email, "not her password")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    her = browser(agent=HER_PHONE, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert sign_in(her, owner.email).status_code == 302
    assert OwnerSession.objects.get(user=owner).ip == "198.51.100.7"
