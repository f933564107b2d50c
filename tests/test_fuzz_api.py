"""The API against its own OpenAPI schema, with schemathesis: generated requests, valid and
not, as the owner and as a witness. No answer may be a server error, and every answer must be
one the schema documents, in the shape it documents.

A modest number of examples per operation runs in the normal suite; `make fuzz` runs many
more (FUZZ_EXAMPLES)."""

import os

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from diary.evidence.services import evidence_attach
from diary.records.services import entry_amend
from tests.factories import make_entry, make_item, upload
from tests.test_live import session_cookie
from tests.witnesses.factories import make_submission, make_witness
from witnesses.services.links import device_open

# Loaded here, the one file that uses it, rather than on every run.
pytest_plugins = ["schemathesis.pytest.plugin"]

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 8,  # the same cases every run in CI; `make fuzz` explores
    suppress_health_check=list(HealthCheck),
    database=None,
)


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_the_connection():
    # Django closes the connection when each request ends; inside one test's transaction
    # (on PostgreSQL) that would end the test's own transaction between two calls.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def diary_with_things(owner, keep_the_connection):
    entry = make_entry(owner, vehicle_registration="AB12 CDE")
    # An amended entry, so its versions' changes (words marked, too) are held to the schema.
    changed = {"what_happened": "A blue car.", "vehicle_registration": "AB12 CDF"}
    entry_amend(entry=entry, actor=owner, content={**entry.current.content_values(), **changed})
    evidence_attach(entry=entry, actor=owner, upload=upload())
    make_item(owner)
    _, token = make_witness(owner)
    device, key = device_open(token=token, user_agent="fuzz")
    make_submission(device)
    return {"owner": owner, "witness_key": key}


def csrf_headers_and_cookies(cookie_name: str, cookie_value: str) -> tuple[dict, dict]:
    token = _get_new_csrf_string()
    return {"X-CSRFToken": token}, {cookie_name: cookie_value, settings.CSRF_COOKIE_NAME: token}


@schema.exclude(path_regex=r"^/api/witness/").parametrize()
@FUZZ
def test_the_owner_api_never_fails_and_keeps_to_its_schema(case, diary_with_things):
    # Confirmed a moment ago, so the fuzzer reaches what lies behind the confirmation too.
    session = session_cookie(diary_with_things["owner"], confirmed=True).decode()
    name, _, value = session.partition("=")
    headers, cookies = csrf_headers_and_cookies(name, value)
    case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)


@schema.include(path_regex=r"^/api/witness/").parametrize()
@FUZZ
def test_the_witness_api_never_fails_and_keeps_to_its_schema(case, diary_with_things):
    headers, cookies = csrf_headers_and_cookies(
        settings.WITNESS_COOKIE_NAME, diary_with_things["witness_key"]
    )
    case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
