import base64
import os
import re
import time
import uuid
from typing import Any

import hypothesis
import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests import database_template
from tests.factories import OwnerFactory
from tests.witnesses.factories import make_witness, witness_api_client

# Generated cases check behaviour, never speed: hypothesis's default 200 ms deadline made a
# correct test fail on a busy machine (timing targets live in bench/).
hypothesis.settings.register_profile("sightline", deadline=None)
hypothesis.settings.load_profile("sightline")

# Fixed keys for every test (and every server process a test starts), whatever .env holds.
TEST_KEY_ID = "test1"
TEST_KEY = bytes(range(32))
TEST_INDEX_KEY = bytes(range(32, 64))
TEST_SIGNING_KEY_ID = "s-test"
TEST_SIGNING_KEY = bytes(range(64, 96))


def key_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    os.environ["ENCRYPTION_KEYS"] = f"{TEST_KEY_ID}:{key_text(TEST_KEY)}"
    os.environ["SEARCH_INDEX_KEY"] = key_text(TEST_INDEX_KEY)
    os.environ["SIGNING_KEYS"] = f"{TEST_SIGNING_KEY_ID}:{key_text(TEST_SIGNING_KEY)}"
    settings.SIGNING_KEYS = {TEST_SIGNING_KEY_ID: TEST_SIGNING_KEY}
    settings.ENCRYPTION_KEYS = {TEST_KEY_ID: TEST_KEY}
    settings.SEARCH_INDEX_KEY = TEST_INDEX_KEY
    keep_workers_apart_on_redis(settings, os.environ.get("PYTEST_XDIST_WORKER", ""))
    database_template.install()


def keep_workers_apart_on_redis(settings: Any, worker: str) -> None:
    """Parallel workers share one Redis and their databases hand out the same ids: each keeps
    its groups and keys under a prefix of its own, and so do the servers its tests start (they
    inherit the environment)."""
    if not worker:
        return
    prefix = f"{settings.REDIS_PREFIX}-{worker}"
    os.environ["REDIS_PREFIX"] = prefix
    settings.REDIS_PREFIX = prefix
    layer = settings.CHANNEL_LAYERS["default"]
    if "CONFIG" in layer:
        layer["CONFIG"]["prefix"] = prefix
    cache = settings.CACHES["default"]
    if "KEY_PREFIX" in cache:
        cache["KEY_PREFIX"] = prefix


# The browser journeys (tests/e2e/) run in a pytest process of their own, `make e2e`: Playwright's
# sync API and pytest-asyncio's event loops do not mix in one process. Only that process loads
# pytest-playwright.
BROWSER_RUN = os.environ.get("E2E") == "1"
collect_ignore = [] if BROWSER_RUN else ["e2e"]
pytest_plugins = ["tests.tsa"] + (["pytest_playwright.pytest_playwright"] if BROWSER_RUN else [])


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    # A fast hasher (argon2 is slow on purpose), and files in a folder of this test's own.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache outlives a test, and every test client comes from 127.0.0.1: the guessing
    # limit is tested on its own, with its own address.
    settings.WITNESS_LINK_GUESSES_PER_HOUR = 10_000
    # And every test gets a cache namespace of its own, so sign-in and send limits counted in
    # one test never spill into the next (clearing would wipe a shared Redis for the others).
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default.get('KEY_PREFIX', '')}-{uuid.uuid4().hex}"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # Background work runs in the test's own process, at once (the framework's immediate
    # backend); the server tests run a real db_worker (tests/test_jobs_worker.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def server_check_removed(monkeypatch: Any) -> None:
    """A server whose own check of each bundle before handing it over has been taken out, as
    whoever rewrote its database could: what is left to catch the change is verify.py."""
    monkeypatch.setattr("diary.bundle.services.bundle_check", lambda stored: None)


@pytest.fixture
def owner(db: Any) -> Any:
    return OwnerFactory()


@pytest.fixture
def other_owner(db: Any) -> Any:
    return OwnerFactory()


@pytest.fixture
def owner_client(owner: Any) -> Client:
    """The owner, signed in and confirmed a moment ago, as most of her work needs; the
    refusals are tested with `unconfirmed_client`."""
    client = Client()
    client.force_login(owner)
    return confirmed(client)


@pytest.fixture
def unconfirmed_client(owner: Any) -> Client:
    """An open session of the owner's that has not confirmed it is her: her unlocked phone,
    or someone who knows the password."""
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(other_owner: Any) -> Client:
    client = Client()
    client.force_login(other_owner)
    return client


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def api(owner: Any) -> APIClient:
    """The owner on the API, with a session that confirmed it is her a moment ago."""
    client = APIClient()
    client.force_login(owner)
    return confirmed(client)


@pytest.fixture
def unconfirmed_api(owner: Any) -> APIClient:
    """The owner's open session on the API, not confirmed."""
    client = APIClient()
    client.force_login(owner)
    return client


@pytest.fixture
def pat_api(owner: Any) -> APIClient:
    """A contact of the owner's, on the API with their link's cookie."""
    return witness_api_client(make_witness(owner)[1])


def confirmed(client: Any) -> Any:
    """As if the owner had just confirmed it is them (allauth's re-authentication)."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = session["_auth_user_id"]
    session.save()
    return client


def confirm_from_mail(client: Any, address: str) -> Any:
    """Open the link in the newest mail to `address` and confirm it, as she would from her
    inbox; in the browser that signed up, that signs her in. Returns the confirmation's answer."""
    from django.core import mail

    [*_, message] = [m for m in mail.outbox if address in m.to]
    found = re.search(r"https?://testserver(/accounts/confirm-email/\S+)", message.body)
    assert found is not None, message.body
    assert client.get(found.group(1)).status_code == 200
    return client.post(found.group(1))
