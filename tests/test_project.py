"""Wiring: settings, headers, the API schema and its docs, static files from our own origin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def settings_error(**env):
    """Import the settings module in a fresh interpreter with `env`; return stderr or ''."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "HTTPS"}}
    result = subprocess.run(
        [sys.executable, "-c", "import project.settings"],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stderr


def test_a_boolean_that_is_not_true_or_false_is_refused():
    assert "DEBUG must be true or false, not 'maybe'" in settings_error(DEBUG="maybe")
    assert settings_error(DEBUG="false") == ""
    assert "HTTPS must be true or false" in settings_error(HTTPS="yes please")


def test_a_number_that_is_not_a_number_is_refused():
    assert "EVIDENCE_MAX_BYTES must be a whole number" in settings_error(EVIDENCE_MAX_BYTES="50MB")


@pytest.mark.django_db
def test_pages_send_strict_headers(client):
    response = client.get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_page_loads_anything_from_another_origin(client, owner_client):
    for response in (
        client.get(reverse("account_login")),
        owner_client.get(reverse("diary:timeline")),
        owner_client.get(reverse("diary:capture")),
    ):
        html = response.content.decode()
        for attribute in ('src="http', "src='http", 'href="http', "href='http"):
            leftovers = [
                part
                for part in html.split(attribute)[1:]
                if not part.startswith("s://www.bbc.co.uk/weather")
            ]
            assert not leftovers, attribute


@pytest.mark.django_db
def test_the_schema_documents_every_endpoint_and_its_errors(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in (
        "/api/entries/",
        "/api/entries/{entry_id}/",
        "/api/entries/{entry_id}/versions/",
        "/api/entries/{entry_id}/withdraw/",
        "/api/entries/{entry_id}/evidence/",
        "/api/evidence/{evidence_id}/original",
        "/api/items/",
        "/api/ledger/",
        "/api/ledger/verify",
    ):
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "403" in codes, (method, path)
            # A POST that takes a body can get its input wrong; one that takes none (leaving,
            # which must never fail) cannot.
            if method == "post" and "requestBody" in operation:
                assert "400" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


@pytest.mark.django_db
def test_the_api_docs_are_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    # Swagger UI's one inline <style> is allowed here, and only here.
    assert "'unsafe-inline'" in response["Content-Security-Policy"]


@pytest.mark.slow
def test_the_schema_generates_without_warnings():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            os.devnull,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_htmx_is_vendored():
    assert (ROOT / "diary/static/vendor/htmx-2.0.11.min.js").stat().st_size > 10_000


@pytest.mark.django_db
def test_forms_post_with_a_real_origin_under_strict_csrf(owner):
    """Browsers send `Origin: null` under Referrer-Policy no-referrer, which fails Django's
    CSRF origin check; pages with forms must use a policy that keeps the origin."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("account_login"))
    assert page["Referrer-Policy"] not in ("no-referrer", "")
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("account_login"),
        {
            "login": owner.email,
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": token,
        },
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    refused = Client(enforce_csrf_checks=True)
    refused.get(reverse("account_login"))
    response = refused.post(
        reverse("account_login"),
        {
            "login": owner.email,
            "password": "x",
            "csrfmiddlewaretoken": refused.cookies["csrftoken"].value,
        },
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_not_found_is_a_calm_page_with_the_quick_exit(owner_client):
    response = owner_client.get("/diary/entries/99999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert "Leave this site" in html
    assert 'name="viewport"' in html


# Headers on every page


@pytest.mark.django_db
def test_owner_and_witness_pages_are_never_cached_and_get_a_strict_policy(owner_client, owner):
    from witnesses.services.links import witness_invite

    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    witness = Client()
    opened = witness.get(f"/w/{token}")
    assert opened["Referrer-Policy"] == "no-referrer"  # the URL holding the token
    for response in (
        owner_client.get(reverse("diary:timeline")),
        owner_client.get(reverse("diary:settings")),
        owner_client.get("/api/entries/"),
        witness.get(reverse("witness:home")),
        Client().get(reverse("account_login")),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        policy = response["Permissions-Policy"]
        # A page with "Record now" may use this site's own camera and microphone; no other.
        records = response.wsgi_request.path == reverse("witness:home")
        media = (
            ("camera=(self)", "microphone=(self)") if records else ("camera=()", "microphone=()")
        )
        for feature in (*media, "geolocation=()", "payment=()"):
            assert feature in policy
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    # Pages with forms keep their Origin (see test_forms_post_with_a_real_origin_…); no
    # Referer ever goes to another site under same-origin.
    assert owner_client.get(reverse("diary:timeline"))["Referrer-Policy"] == "same-origin"


PRODUCTION = {
    "SECRET_KEY": "k3J9x-Lw2QpVz8RtYb7Nc4Hs6Md1Fg5Ae0Ui9Oj3Pk7Lq2Wr8Ty4Ex6Zv1Bn5Mc",
    "HTTPS": "true",
    "ALLOWED_HOSTS": "notes.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://notes.example.org",
}


def check_deploy(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_documented_production_settings():
    readme = (ROOT / "README.md").read_text()
    for name in PRODUCTION:
        assert f"`{name}`" in readme, name
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Without HTTPS the same check warns: the test can tell the difference.
    result = check_deploy(**{**PRODUCTION, "HTTPS": "false"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_each_test_worker_starts_servers_on_ports_of_its_own(monkeypatch):
    from tests.servers import _my_share

    ports = range(8301, 8310)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = list(_my_share(ports))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = list(_my_share(ports))
    assert first == [8301, 8303, 8305, 8307, 8309]
    assert second == [8302, 8304, 8306, 8308]
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    assert list(_my_share(ports)) == list(ports)
