import os
from typing import Any

import pytest
from django.test import Client

from tests.factories import OwnerFactory

# The browser journeys (tests/e2e/) run in a pytest process of their own, `make e2e`: Playwright's
# sync API and pytest-asyncio's event loops do not mix in one process.
collect_ignore = [] if os.environ.get("E2E") == "1" else ["e2e"]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    # A fast hasher (argon2 is slow on purpose), and files in a folder of this test's own.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def owner(db: Any) -> Any:
    return OwnerFactory()


@pytest.fixture
def other_owner(db: Any) -> Any:
    return OwnerFactory()


@pytest.fixture
def owner_client(owner: Any) -> Client:
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
