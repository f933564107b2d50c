from typing import Any

import pytest
from django.test import Client

from witnesses.services.links import witness_invite


def invite(owner: Any, **kwargs: Any) -> tuple[Any, str]:
    fields = {"name": "Pat Jones", "relationship": "neighbour", **kwargs}
    return witness_invite(diary=owner.diary, actor=owner, **fields)


def opened(token: str, user_agent: str = "Mozilla/5.0 (Linux; Android 14) Chrome/120") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.get(f"/w/{token}")
    assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def invited(owner: Any) -> tuple[Any, str]:
    return invite(owner)


@pytest.fixture
def witness_client(invited: tuple[Any, str]) -> Client:
    return opened(invited[1])
