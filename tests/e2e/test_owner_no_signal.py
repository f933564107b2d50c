"""The owner with no signal (drafts.js, as on a contact's page), in Debian's Chromium with the
network switched off or a save cut off: what she wrote stays on the page as "Not saved yet",
is saved once, and only once, when the signal comes back or she taps Try again, and is kept
nowhere on the phone once saved or discarded, or once she signs out. What the server holds is
read from its own database."""

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e import a11y
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    arrive,
    dismiss_quick_exit_note_if_shown,
    go,
    main,
    photograph,
    quick_exit,
    sign_up,
)
from tests.e2e.server import LiveServer

NOT_SAVED = "Not saved yet — no connection."
RESTORED = "What you wrote before is back in the form. It has not been saved yet."
SAVED = "Saved. It is in your timeline."
DISCARD = "Discard what I wrote"

WHAT_SHE_HAS = """
import json
from diary.models import Entry, EntryVersion, User
owner = User.objects.get(email={email!r})
entries = Entry.objects.filter(diary__owner=owner).order_by("pk")
print(json.dumps({{
    "entries": [entry.current.what_happened for entry in entries],
    "versions": EntryVersion.objects.filter(entry__diary__owner=owner).count(),
}}))
"""


def shell(server: LiveServer, code: str) -> str:
    return server.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


class Owner:
    def __init__(self, server: LiveServer, page: Page) -> None:
        self.server, self.page = server, page
        self.email = f"owner-{secrets.token_hex(4)}@example.org"
        sign_up(page, self.email)
        dismiss_quick_exit_note_if_shown(page)

    @property
    def context(self) -> BrowserContext:
        return self.page.context

    def has(self) -> dict[str, Any]:
        return json.loads(shell(self.server, WHAT_SHE_HAS.format(email=self.email)))

    def drafts(self) -> dict[str, Any]:
        """Everything this tab keeps that names a draft, in any of the browser's stores."""
        return self.page.evaluate(
            """() => {
              const kept = {};
              for (const store of [sessionStorage, localStorage]) {
                for (let i = 0; i < store.length; i++) {
                  const name = store.key(i);
                  if (name.startsWith('draft:')) { kept[name] = store.getItem(name); }
                }
              }
              return kept;
            }"""
        )

    def key(self) -> str:
        return main(self.page).locator("[name=idempotency_key]").input_value()

    def write(self, what: str) -> None:
        go(self.page, "/diary/capture/")
        main(self.page).get_by_label("What happened?").fill(what)

    def save(self) -> None:
        main(self.page).get_by_role("button", name="Save", exact=True).click()

    def sees_the_entry(self, what: str) -> None:
        expect(main(self.page).get_by_text(SAVED)).to_be_visible()
        expect(self.page).to_have_url(re.compile(r"/diary/entries/\d+/$"))
        expect(main(self.page)).to_contain_text(what)
        arrive(self.page)


@pytest.fixture
def owner(
    app_server: LiveServer, new_context: Callable[..., BrowserContext]
) -> Callable[[], Owner]:
    def make() -> Owner:
        context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        return Owner(app_server, context.new_page())

    return make


def lose_answers(route: Route) -> None:
    """The save reaches the server, which records it; its answer never reaches the phone."""
    if route.request.method != "POST":
        route.fallback()
        return
    answer = route.fetch(max_redirects=0)
    assert answer.status == 302, answer.status
    route.abort("connectionreset")


def test_a_note_saved_with_no_signal_waits_and_is_saved_once_when_it_is_back(owner, screenshots):
    she = owner()
    page = she.page
    what = "The grey car was parked outside work again at 5pm."
    she.write(what)
    she.context.set_offline(True)
    she.save()

    # No browser "no internet" page: the form is still there, with her words, and says so.
    expect(main(page).get_by_text(NOT_SAVED)).to_be_visible()
    expect(main(page).locator("[data-draft-status]")).to_have_attribute("role", "status")
    expect(main(page).locator("[data-draft-status]")).to_contain_text(NOT_SAVED)
    expect(main(page).get_by_role("button", name="Try again")).to_be_visible()
    expect(main(page).get_by_role("button", name=DISCARD)).to_be_visible()
    expect(main(page).get_by_label("What happened?")).to_have_value(what)
    assert page.url.endswith("/diary/capture/")
    assert she.has() == {"entries": [], "versions": 0}
    draft = json.loads(she.drafts()["draft:owner-capture"])
    assert ["what_happened", what] in draft["fields"]
    assert ["idempotency_key", she.key()] in draft["fields"]
    problems = a11y.check_page(page)
    assert problems == [], "\n".join(problems)
    photograph(page, screenshots / "owner-not-saved-phone.png", full_page=True)

    she.context.set_offline(False)  # the browser says it is online: the page saves by itself
    she.sees_the_entry(what)
    assert she.has() == {"entries": [what], "versions": 1}
    assert she.drafts() == {}, "saved: nothing of it stays on the phone"


def test_try_again_after_a_lost_answer_saves_it_once(owner):
    she = owner()
    page = she.page
    what = "A card pushed under the door, no stamp."
    page.route("**/diary/capture/", lose_answers)
    she.write(what)
    she.save()
    expect(main(page).get_by_text(NOT_SAVED)).to_be_visible()
    assert she.has()["entries"] == [what], "the first save did arrive"
    page.unroute("**/diary/capture/", lose_answers)

    main(page).get_by_role("button", name="Try again").click()
    expect(page).to_have_url(re.compile(r"/diary/entries/\d+/$"))
    expect(main(page)).to_contain_text(what)
    assert she.has() == {"entries": [what], "versions": 1}
    assert she.drafts() == {}


def test_back_brings_the_unsaved_words_back(owner):
    she = owner()
    page = she.page
    what = "He rang from a hidden number four times."
    she.write(what)
    key = she.key()
    go(page, "/diary/")
    page.go_back()
    arrive(page)
    expect(page).to_have_url(re.compile(r"/diary/capture/$"))
    expect(main(page).get_by_label("What happened?")).to_have_value(what)
    expect(main(page).get_by_text(RESTORED)).to_be_visible()
    assert she.key() == key

    she.save()
    she.sees_the_entry(what)
    assert she.has()["entries"] == [what]
    assert she.drafts() == {}


def test_discard_leaves_nothing_behind_and_a_new_key(owner):
    she = owner()
    page = she.page
    she.write("A note she decides not to keep.")
    key = she.key()
    she.context.set_offline(True)
    she.save()
    expect(main(page).get_by_text(NOT_SAVED)).to_be_visible()

    main(page).get_by_role("button", name=DISCARD).click()
    expect(main(page).get_by_label("What happened?")).to_have_value("")
    expect(main(page).get_by_text(NOT_SAVED)).to_be_hidden()
    expect(main(page).get_by_role("button", name="Try again")).to_be_hidden()
    assert she.drafts() == {}
    assert she.key() not in ("", key)
    she.context.set_offline(False)
    page.reload()
    arrive(page)
    expect(main(page).get_by_label("What happened?")).to_have_value("")
    assert she.has() == {"entries": [], "versions": 0}


def test_cancel_on_the_full_form_discards_the_draft(owner):
    she = owner()
    page = she.page
    go(page, "/diary/entries/new/")
    main(page).locator("[name=what_happened]").fill("Started on the full form.")
    assert "draft:owner-entry" in she.drafts()
    main(page).get_by_role("link", name="Cancel").click()
    arrive(page)
    assert she.drafts() == {}
    go(page, "/diary/entries/new/")
    expect(main(page).get_by_text(RESTORED)).to_be_hidden()


def test_signing_out_takes_her_drafts_with_it(owner):
    she = owner()
    page = she.page
    she.write("Written, never saved, then she signs out.")
    assert "draft:owner-capture" in she.drafts()
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    arrive(page)
    assert she.drafts() == {}
    expect(page.locator("body")).not_to_contain_text("never saved")


def test_leaving_by_the_quick_exit_takes_her_drafts_with_it(owner):
    she = owner()
    page = she.page
    she.write("Written in a hurry before someone came in.")
    assert "draft:owner-capture" in she.drafts()
    quick_exit(page, by="button")
    # The same tab, back on this site (signed out): nothing of it is left in the tab.
    page.goto("/accounts/login/")
    arrive(page)
    assert she.drafts() == {}
    expect(page.locator("body")).not_to_contain_text("in a hurry")
