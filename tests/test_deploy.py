"""docs/deploy.md holds to the code: its settings are real and pass `check --deploy`, and its
nginx limits are the ones the app's own limits give. The stack's nginx configuration is one
nginx accepts."""

import re
import shutil
import subprocess

import pytest
from django.conf import settings

from stack import nginx
from tests.test_project import PRODUCTION, ROOT, check_deploy
from witnesses.services.submissions import MAX_FILES

DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
README = (ROOT / "README.md").read_text()


def documented_environment() -> list[str]:
    block = DEPLOY.split("## The environment", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("=", 1)[0] for line in block.splitlines() if re.match(r"[A-Z0-9_]+=", line)]


def test_every_variable_deploy_md_sets_is_a_documented_setting():
    names = documented_environment()
    assert {"DATABASE_POOL_SIZE", "REDIS_URL", "S3_BUCKET", "TRUSTED_PROXY_COUNT"} <= set(names)
    for name in names:
        assert f"| `{name}` |" in README, name


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_whole_production_profile():
    result = check_deploy(
        **PRODUCTION,
        TRUSTED_PROXY_COUNT="1",
        DATABASE_URL="postgres://sightline:secret@127.0.0.1:5432/sightline",
        DATABASE_POOL_SIZE="10",
        REDIS_URL="redis://127.0.0.1:6379/0",
        S3_BUCKET="sightline-files",
        S3_ENDPOINT_URL="https://s3.eu-west-2.amazonaws.com",
        S3_REGION="eu-west-2",
        S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        S3_SECRET_ACCESS_KEY="example-secret",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_nginx_limits_in_deploy_md_are_the_apps_own():
    limits = nginx.body_limits(
        evidence_max_bytes=50 * 1024 * 1024,  # the default, as deploy.md's env says
        max_files=MAX_FILES,
        form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        owner_max_files=10,  # EVIDENCE_MAX_FILES's default
        import_max_bytes=4 * 1024**3,  # IMPORT_MAX_BYTES's default, as deploy.md's env says
    )
    assert "IMPORT_MAX_BYTES=4294967296" in DEPLOY
    sizes = re.findall(r"client_max_body_size (\d+)m;", DEPLOY)
    assert sizes == [
        str(limits.one_file // nginx.MIB),
        *[str(limits.many_files // nginx.MIB)] * 2,
        *[str(limits.owner_files // nginx.MIB)] * len(nginx.OWNER_FILE_LOCATIONS),
        str(limits.import_file // nginx.MIB),
        str(limits.pieces // nginx.MIB),
    ]
    assert f"location {nginx.IMPORT_LOCATION[0]} {{" in DEPLOY
    assert f"location {nginx.PIECE_LOCATION[0]} {{" in DEPLOY
    # A piece's location takes one piece (UPLOAD_PIECE_MAX_BYTES's default, as deploy.md's env
    # leaves it), and no whole file.
    assert limits.pieces == nginx.DEFAULT_PIECE_BYTES + nginx.MIB
    for path in nginx.MANY_FILE_PATHS:
        assert f"location = {path} {{" in DEPLOY
    for location, _path in nginx.OWNER_FILE_LOCATIONS:
        assert f"location {location} {{" in DEPLOY
    # One file and everything a form may carry besides fits; so do ten on a contact's paths.
    assert limits.one_file >= 50 * 1024 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limits.many_files >= MAX_FILES * 50 * 1024 * 1024


@pytest.mark.skipif(not shutil.which("nginx", path="/usr/sbin:/usr/bin"), reason="no nginx here")
def test_nginx_accepts_the_stack_configuration(tmp_path):
    for part in ("logs", "nginx/body", "nginx/proxy", "nginx/fastcgi", "nginx/uwsgi", "nginx/scgi"):
        (tmp_path / part).mkdir(parents=True)
    config = tmp_path / "nginx.conf"
    config.write_text(
        nginx.render(
            listen="127.0.0.1:8720",
            workers=["127.0.0.1:8721", "127.0.0.1:8722"],
            limits=nginx.body_limits(
                evidence_max_bytes=settings.EVIDENCE_MAX_BYTES,
                max_files=MAX_FILES,
                form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            ),
            prefix=str(tmp_path),
        )
    )
    result = subprocess.run(
        [
            shutil.which("nginx", path="/usr/sbin:/usr/bin"),
            "-t",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "logs" / "error.log"),
            "-c",
            str(config),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_closes_idle_upstream_connections_before_the_workers_do():
    """Otherwise a worker may close one just as nginx sends a request down it: a 502, which
    nginx does not retry for a POST (found by the load test)."""
    worker = int(re.search(r"--timeout-keep-alive (\d+)", DEPLOY).group(1))
    upstream = DEPLOY.split("upstream sightline {", 1)[1].split("}", 1)[0]
    proxy = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    assert proxy < worker
    rendered = nginx.render(
        listen="127.0.0.1:1",
        workers=["127.0.0.1:2"],
        limits=nginx.BodyLimits(one_file=nginx.MIB, many_files=nginx.MIB),
        prefix="/tmp",
    )
    assert f"keepalive_timeout {proxy}s;" in rendered
