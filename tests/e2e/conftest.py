"""Browser journeys against a live server, in Debian's Chromium (never a downloaded browser).

Run with `make e2e` (E2E=1 pytest tests/e2e): see tests/conftest.py for why they have a process
of their own.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e import a11y, helpers
from tests.e2e.server import QUICK_EXIT_URL, ROOT, LiveServer

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Date and time pickers are drawn in the browser's own language (from these, with Debian's
# chromium-l10n), not the page's: a UK phone shows 24/11/2026, 16:23.
CHROMIUM_ENV = {"LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB"}
# What the browser is shown instead of the real neutral site (there is no network here, and a
# test must never reach one): a page that says where it is.
NEUTRAL_PAGE = "<!DOCTYPE html><html lang=en><title>Weather</title><h1>Weather</h1></html>"
PHONE = {"width": 360, "height": 740}
# Waits for what a page shows (never sleeps): generous, for a busy two-core machine.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    a11y.axe_source_exists()
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    helpers.MAIL_DIR = server.mail
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(app_server: LiveServer) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.exit(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium", returncode=1)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "env": {**os.environ, **CHROMIUM_ENV},
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        "accept_downloads": True,
    }


class Watch:
    """What went wrong inside the browsers of one test, checked when the test ends."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.third_party: list[str] = []
        self.script_errors: list[str] = []

    def guard(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)
        context.on("page", self._watch_page)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.server.url + "/"):
            route.continue_()
        elif url.startswith(QUICK_EXIT_URL):
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)
        else:
            self.third_party.append(url)
            route.abort()

    def _watch_page(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                self.script_errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )


@pytest.fixture
def watch(app_server: LiveServer) -> Iterator[Watch]:
    before = len(app_server.errors())
    watch = Watch(app_server)
    yield watch
    assert watch.third_party == [], "a page asked another origin for something"
    assert watch.script_errors == [], "a script failed or the CSP refused something"
    logged = app_server.errors()[before:]
    assert not re.search(r"Traceback|Internal Server Error|Exception in ASGI", logged), logged


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext], watch: Watch) -> Callable[..., Any]:
    """Every browser context a journey opens is guarded: no other origin, no script errors."""

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        watch.guard(context)
        return context

    return make


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a phone-sized browser (360 x 740) with touch."""
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


@pytest.fixture(scope="session")
def audited() -> set[str]:
    """Pages already checked for accessibility in this run (each kind of page once)."""
    return set()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the journeys save their screenshots: docs/screenshots/ with `make screenshots`,
    otherwise a git-ignored folder, so an ordinary run leaves the committed ones alone."""
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or ROOT / ".e2e" / "screenshots")
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A small JPEG, as a phone would take, to attach as evidence."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (120, 140, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((180, 260, 460, 360), fill=(60, 60, 70))
    draw.rectangle((230, 210, 410, 270), fill=(70, 70, 80))
    path = tmp_path / "car-outside.jpg"
    image.save(path, "JPEG", quality=85)
    return path
