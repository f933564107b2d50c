"""The settings are as strict as the README's table says, and the table lists exactly what they
read. Each test builds the settings module afresh from an environment of its own."""

import ast
import os
import re
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import (
    TEST_INDEX_KEY,
    TEST_KEY,
    TEST_KEY_ID,
    TEST_SIGNING_KEY,
    TEST_SIGNING_KEY_ID,
    keep_workers_apart_on_redis,
    key_text,
)

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "project" / "settings.py"
README = (ROOT / "README.md").read_text()

# The helpers in project/settings.py that read a variable named by their first argument; the
# secret ones read `<name>_FILE` too.
READERS = {"env_text", "env_list", "env_bool", "env_int", "env_choice", "env_secret"}
SECRET_READERS = {"env_secret", "env_keys", "env_key"}
READERS |= SECRET_READERS
# What the settings may call on django-environ's `env` directly: parsers of a value already read.
PARSERS = {"db_url_config", "email_url_config"}


def readme_table() -> dict[str, dict[str, str]]:
    section = README.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        variable, default, allowed, _ = (cell.strip() for cell in row.strip("|").split(" | "))
        table[variable.strip("`")] = {"default": default, "allowed": allowed}
    return table


TABLE = readme_table()


def variables_the_settings_read() -> set[str]:
    """Every variable named at a call of a reader, outside the readers' own definitions."""
    module = ast.parse(SETTINGS_FILE.read_text())
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, ast.FunctionDef):
            continue
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "env":
                assert func.attr in PARSERS, f"{ast.unparse(node)}: read variables with a helper"
                continue
            if not (isinstance(func, ast.Name) and func.id in READERS):
                continue
            (name, *_) = node.args
            assert isinstance(name, ast.Constant), ast.unparse(node)
            names.add(name.value)
            if func.id in SECRET_READERS:
                names.add(f"{name.value}_FILE")
    return names


def build(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The settings module run afresh with only the test keys, a secret key and `env` set: every
    other variable in the table blank (so .env cannot fill it in), as if unset."""
    for name in TABLE:
        monkeypatch.setenv(name, "")
    base = {
        "SECRET_KEY": "x",
        "ENCRYPTION_KEYS": f"{TEST_KEY_ID}:{key_text(TEST_KEY)}",
        "SEARCH_INDEX_KEY": key_text(TEST_INDEX_KEY),
        "SIGNING_KEYS": f"{TEST_SIGNING_KEY_ID}:{key_text(TEST_SIGNING_KEY)}",
    }
    for name, value in {**base, **env}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def refusal(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    with pytest.raises(ImproperlyConfigured) as error:
        build(monkeypatch, **env)
    return str(error.value)


BOUNDED = {
    name: tuple(int(n.replace(",", "")) for n in match.groups())
    for name, row in TABLE.items()
    if (match := re.fullmatch(r"([\d,]+) to ([\d,]+).*", row["allowed"]))
}
# The settings a few of them land in, under another name.
LANDS_IN = {
    "REAUTHENTICATION_SECONDS": lambda built: built["ACCOUNT_REAUTHENTICATION_TIMEOUT"],
    "SIGNIN_FAILURE_LIMIT": lambda built: built["AXES_FAILURE_LIMIT"],
    "SIGNIN_LOCKOUT_MINUTES": lambda built: built["AXES_COOLOFF_TIME"].total_seconds() // 60,
}


def read_number(name: str, built: dict[str, Any]) -> Any:
    return LANDS_IN[name](built) if name in LANDS_IN else built[name]


def test_every_variable_the_settings_read_is_in_the_readme_table_and_no_other():
    read = variables_the_settings_read()
    assert read - set(TABLE) == set(), "read by the settings but missing from the README"
    assert set(TABLE) - read == set(), "in the README but never read by the settings"


def test_the_settings_read_the_environment_only_through_their_helpers():
    module = ast.parse(SETTINGS_FILE.read_text())
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "os":
            pytest.fail(f"os.{node.attr} in project/settings.py: read variables with a helper")


def test_the_defaults_are_the_ones_the_table_gives(monkeypatch):
    built = build(monkeypatch)
    assert built["DEBUG"] is False
    assert built["HTTPS"] is False
    assert built["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"
    assert built["LOGGING"]["root"]["level"] == "INFO"
    assert built["OWNER_DEFAULT_TIME_ZONE"] == "Europe/London"
    assert built["REDIS_PREFIX"] == "sightline"
    for name in BOUNDED:
        default = int(re.match(r"`(\d+)`", TABLE[name]["default"]).group(1))
        assert read_number(name, built) == default, name


@pytest.mark.parametrize("text, value", [("true", True), ("TRUE", True), ("False", False)])
def test_a_boolean_is_true_or_false_in_any_case(monkeypatch, text, value):
    assert build(monkeypatch, DEBUG=text)["DEBUG"] is value
    assert build(monkeypatch, HTTPS=text)["HTTPS"] is value


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "1", "0", "t", "truthy"])
def test_a_boolean_that_is_not_true_or_false_is_refused(monkeypatch, text):
    assert refusal(monkeypatch, DEBUG=text) == f"DEBUG must be true or false, not {text!r}"


@pytest.mark.parametrize(
    "name, allowed",
    [
        ("ACCOUNT_EMAIL_VERIFICATION", "none, optional or mandatory"),
        ("LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("S3_ADDRESSING_STYLE", "auto, path or virtual"),
    ],
)
def test_a_choice_outside_its_values_is_refused_naming_them(monkeypatch, name, allowed):
    extra = {"S3_BUCKET": "b"} if name.startswith("S3_") else {}
    message = refusal(monkeypatch, **extra, **{name: "sideways"})
    assert message == f"{name} must be {allowed}, not 'sideways'"
    assert TABLE[name]["allowed"] == ", ".join(
        f"`{value}`" for value in re.split(", | or ", allowed)
    )


def test_a_choice_is_taken_in_any_case_and_kept_as_the_app_spells_it(monkeypatch):
    built = build(monkeypatch, ACCOUNT_EMAIL_VERIFICATION="Mandatory", LOG_LEVEL="warning")
    assert built["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"
    assert built["LOGGING"]["root"]["level"] == "WARNING"
    built = build(monkeypatch, S3_BUCKET="b", S3_ADDRESSING_STYLE="PATH")
    assert built["STORAGES"]["default"]["OPTIONS"]["addressing_style"] == "path"


def test_an_unknown_time_zone_is_refused(monkeypatch):
    assert "OWNER_DEFAULT_TIME_ZONE must be a time zone name" in refusal(
        monkeypatch, OWNER_DEFAULT_TIME_ZONE="Mars/Olympus"
    )
    assert build(monkeypatch, OWNER_DEFAULT_TIME_ZONE="Asia/Tokyo")["OWNER_DEFAULT_TIME_ZONE"] == (
        "Asia/Tokyo"
    )


def test_every_number_in_the_table_has_bounds():
    numbers = {name for name, row in TABLE.items() if re.fullmatch(r"`\d+`.*", row["default"])}
    assert numbers == set(BOUNDED)
    assert BOUNDED["WITNESS_LINK_DAYS"] == (1, 366)
    assert BOUNDED["SESSION_IDLE_MINUTES"] == (1, 1440)


@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_a_number_is_taken_within_its_bounds_and_refused_outside(monkeypatch, name):
    low, high = BOUNDED[name]
    for value in (low, high):
        assert read_number(name, build(monkeypatch, **{name: str(value)})) == value
    for value in (low - 1, high + 1):
        assert refusal(monkeypatch, **{name: str(value)}) == (
            f"{name} must be a whole number from {low} to {high}, not '{value}'"
        )
    assert "must be a whole number" in refusal(monkeypatch, **{name: "ten"})


def test_a_witness_link_cannot_last_a_negative_time(monkeypatch):
    assert (
        refusal(monkeypatch, WITNESS_LINK_DAYS="-5")
        == "WITNESS_LINK_DAYS must be a whole number from 1 to 366, not '-5'"
    )


# Each secret: what its file holds, and where that lands in the settings (and as what).
SECRETS: dict[str, tuple[str, Any, Any]] = {
    "SECRET_KEY": ("a-key-from-a-file", lambda built: built["SECRET_KEY"], "a-key-from-a-file"),
    "ENCRYPTION_KEYS": (
        f"{TEST_KEY_ID}:{key_text(TEST_KEY)}",
        lambda built: built["ENCRYPTION_KEYS"],
        {TEST_KEY_ID: TEST_KEY},
    ),
    "SEARCH_INDEX_KEY": (
        key_text(TEST_INDEX_KEY),
        lambda built: built["SEARCH_INDEX_KEY"],
        TEST_INDEX_KEY,
    ),
    "SIGNING_KEYS": (
        f"{TEST_SIGNING_KEY_ID}:{key_text(TEST_SIGNING_KEY)}",
        lambda built: built["SIGNING_KEYS"],
        {TEST_SIGNING_KEY_ID: TEST_SIGNING_KEY},
    ),
    "BACKUP_KEY": ("ab" * 32, lambda built: built["BACKUP_KEY"], "ab" * 32),
    "S3_SECRET_ACCESS_KEY": (
        "s3-secret",
        lambda built: built["STORAGES"]["default"]["OPTIONS"]["secret_key"],
        "s3-secret",
    ),
    "DATABASE_URL": (
        "postgres://sightline:pw@db.internal:5432/notes",
        lambda built: {k: built["DATABASES"]["default"][k] for k in ("PASSWORD", "HOST", "NAME")},
        {"PASSWORD": "pw", "HOST": "db.internal", "NAME": "notes"},
    ),
    "REDIS_URL": (
        "redis://:pw@127.0.0.1:6379/2",
        lambda built: built["CACHES"]["default"]["LOCATION"],
        "redis://:pw@127.0.0.1:6379/2",
    ),
    "EMAIL_URL": (
        "smtp+tls://notes:pw@smtp.example.org:587",
        lambda built: (built["EMAIL_HOST"], built["EMAIL_HOST_PASSWORD"]),
        ("smtp.example.org", "pw"),
    ),
}


def with_what_it_needs(name: str, **env: str) -> dict[str, str]:
    """The S3 secret is read only beside a bucket and a key id."""
    if name == "S3_SECRET_ACCESS_KEY":
        return {"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", **env}
    return env


def test_every_secret_in_the_table_can_come_from_a_file():
    assert {name for name in TABLE if name.endswith("_FILE")} == {
        f"{name}_FILE" for name in SECRETS
    }


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_secret_is_read_from_its_file_less_the_trailing_newline(monkeypatch, tmp_path, name):
    text, read, expected = SECRETS[name]
    path = tmp_path / "secret"
    path.write_text(text + "\n")
    built = build(monkeypatch, **with_what_it_needs(name, **{name: "", f"{name}_FILE": str(path)}))
    assert read(built) == expected


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_secret_and_its_file_together_are_refused(monkeypatch, tmp_path, name):
    text, _, _ = SECRETS[name]
    path = tmp_path / "secret"
    path.write_text(text)
    env = with_what_it_needs(name, **{name: text, f"{name}_FILE": str(path)})
    message = refusal(monkeypatch, **env)
    assert message.startswith(f"Set {name} or {name}_FILE, not both")
    assert text not in message


def test_a_missing_unreadable_or_empty_secret_file_is_refused_clearly(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere"
    assert refusal(monkeypatch, SECRET_KEY="", SECRET_KEY_FILE=str(missing)) == (
        f"SECRET_KEY_FILE: cannot read {missing}: No such file or directory."
    )
    assert refusal(monkeypatch, SECRET_KEY="", SECRET_KEY_FILE=str(tmp_path)) == (
        f"SECRET_KEY_FILE: cannot read {tmp_path}: Is a directory."
    )
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "it is not UTF-8 text" in refusal(
        monkeypatch, SECRET_KEY="", SECRET_KEY_FILE=str(binary)
    )
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert refusal(monkeypatch, SECRET_KEY="", SECRET_KEY_FILE=str(empty)) == (
        f"SECRET_KEY_FILE: {empty} is empty."
    )


def test_only_the_last_newlines_of_a_secret_file_go(monkeypatch, tmp_path):
    path = tmp_path / "secret"
    path.write_text("  two words \r\n\n")
    built = build(monkeypatch, SECRET_KEY="", SECRET_KEY_FILE=str(path))
    assert built["SECRET_KEY"] == "  two words "


def test_each_test_worker_keeps_its_redis_keys_apart(monkeypatch):
    monkeypatch.setenv("REDIS_PREFIX", "sightline")
    on_redis = SimpleNamespace(
        REDIS_PREFIX="sightline",
        CHANNEL_LAYERS={"default": {"CONFIG": {"prefix": "sightline"}}},
        CACHES={"default": {"KEY_PREFIX": "sightline"}},
    )
    keep_workers_apart_on_redis(on_redis, "gw1")
    assert on_redis.REDIS_PREFIX == "sightline-gw1"
    assert on_redis.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == "sightline-gw1"
    assert on_redis.CACHES["default"]["KEY_PREFIX"] == "sightline-gw1"
    # Servers a test starts inherit it.
    assert os.environ["REDIS_PREFIX"] == "sightline-gw1"

    alone = SimpleNamespace(REDIS_PREFIX="sightline", CHANNEL_LAYERS={}, CACHES={})
    keep_workers_apart_on_redis(alone, "")
    assert alone.REDIS_PREFIX == "sightline"


def test_this_worker_runs_under_a_prefix_of_its_own():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    assert django_settings.REDIS_PREFIX.endswith(f"-{worker}" if worker else "")
    assert os.environ.get("REDIS_PREFIX", "sightline") == django_settings.REDIS_PREFIX


def test_timestamp_authorities_need_one_root_certificate_each(monkeypatch, tmp_path):
    root = tmp_path / "root.pem"
    root.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    built = build(monkeypatch, TIMESTAMP_URLS="https://a.example/tsr", TIMESTAMP_CA_CERTS=str(root))
    assert built["TIMESTAMP_URLS"] == ["https://a.example/tsr"]
    assert built["TIMESTAMP_CA_CERTS"] == [str(root)]
    assert build(monkeypatch)["TIMESTAMP_URLS"] == []
    assert refusal(
        monkeypatch, TIMESTAMP_URLS="https://a.example/tsr,https://b.example/tsr"
    ).startswith("TIMESTAMP_CA_CERTS must name one root certificate (a PEM file) for each of the 2")
    assert (
        refusal(monkeypatch, TIMESTAMP_URLS="ftp://a.example/tsr", TIMESTAMP_CA_CERTS=str(root))
        == "TIMESTAMP_URLS: 'ftp://a.example/tsr' is not an http(s) URL."
    )
    missing = tmp_path / "nowhere.pem"
    assert refusal(
        monkeypatch, TIMESTAMP_URLS="https://a.example/tsr", TIMESTAMP_CA_CERTS=str(missing)
    ).startswith(f"TIMESTAMP_CA_CERTS: cannot read {missing}")
    not_pem = tmp_path / "key.txt"
    not_pem.write_text("hello")
    assert (
        refusal(
            monkeypatch, TIMESTAMP_URLS="https://a.example/tsr", TIMESTAMP_CA_CERTS=str(not_pem)
        )
        == f"TIMESTAMP_CA_CERTS: {not_pem} holds no PEM certificate."
    )
