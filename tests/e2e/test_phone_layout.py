"""The owner's and a contact's forms on a 360 px phone: "Leave this site" never covers what is
on the page, wherever it is scrolled to, and every link that stands on its own is a tap target
of at least 44 by 44 px."""

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    dismiss_quick_exit_note_if_shown,
    go,
    invite,
    main,
    quick_capture,
    sign_up,
)

MIN_TARGET = 44

# "Leave this site" sits in an opaque strip across the top of the screen; the page is read below
# it. Nothing of the page is under the strip when the page is at its top, and every element of
# the page's content that is drawn, scrolled to in turn as a field given focus or a link to part
# of the page is, stops wholly below the strip. What the strip hides when scrolled past is off
# the part of the screen being read, as if scrolled off it. What is wrong is listed.
COVERED = """() => {
  const exit = document.querySelector('.quick-exit');
  const strip = exit.closest('form').getBoundingClientRect();
  const button = exit.getBoundingClientRect();
  const wrong = [];
  const inside = (a, b) => a.left >= b.left && a.right <= b.right && a.top >= b.top &&
    a.bottom <= b.bottom;
  if (!inside(button, strip)) { wrong.push('the button is not inside its strip'); }
  if (strip.left > 0 || strip.right < window.innerWidth) {
    wrong.push('the strip is not full width');
  }
  const paint = getComputedStyle(exit.closest('form')).backgroundColor;
  if (paint === 'transparent' || paint === 'rgba(0, 0, 0, 0)') {
    wrong.push('the strip is see-through');
  }
  const parts = [...document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea, main button, main label, ' +
    'main a, main summary, main legend, main p, main h1, main h2, main h3, main li')]
    .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
  window.scrollTo(0, 0);
  for (const el of parts) {
    if (el.getBoundingClientRect().top < strip.bottom) {
      wrong.push('under the strip at the top: ' + el.outerHTML.slice(0, 100));
    }
  }
  const bottom = document.documentElement.scrollHeight - window.innerHeight;
  const over = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const el of parts) {
    el.scrollIntoView({block: 'start'});
    if (over(el.getBoundingClientRect(), exit.getBoundingClientRect())) {
      wrong.push('under the button: ' + el.outerHTML.slice(0, 100));
    }
    if (window.scrollY >= bottom - 1) { continue; }  // the end of the page: it cannot go higher
    if (el.getBoundingClientRect().top < strip.bottom - 0.5) {
      wrong.push('scrolled under the strip: ' + el.outerHTML.slice(0, 100));
    }
  }
  window.scrollTo(0, 0);
  return wrong;
}"""

# Links that stand on their own: nothing else in their parent, or one of a row of actions.
SMALL_TARGETS = """(least) => {
  const small = [];
  for (const a of document.querySelectorAll('body a[href]')) {
    if (a.classList.contains('skip') || !a.getClientRects().length) { continue; }
    const parent = a.parentElement;
    const alone = parent.textContent.trim() === a.textContent.trim() ||
      parent.classList.contains('actions');
    if (!alone) { continue; }
    const box = a.getBoundingClientRect();
    if (box.height < least || box.width < least) {
      small.push(`${Math.round(box.width)}x${Math.round(box.height)} ${a.outerHTML.slice(0, 100)}`);
    }
  }
  return small;
}"""


@pytest.fixture
def owner_phone(new_context: Callable[..., BrowserContext]) -> Page:
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_up(page, f"owner-{secrets.token_hex(4)}@example.org")
    dismiss_quick_exit_note_if_shown(page)
    return page


def open_every_fold(page: Page) -> None:
    page.evaluate(
        "() => document.querySelectorAll('main details').forEach(d => { d.open = true; })"
    )


def test_leave_this_site_never_covers_a_form_on_a_phone(owner_phone: Page):
    page = owner_phone
    entry = quick_capture(page, what="He waited by the car park exit.", when="2026-11-20T18:00")
    link = invite(page, name="Sam")
    pages = [
        "/diary/capture/",
        "/diary/entries/new/",
        re.sub(r"^https?://[^/]+", "", entry) + "amend/",
        re.sub(r"^https?://[^/]+", "", entry),
        "/diary/",
        "/diary/contacts/new/",
        "/diary/items/new/",
        "/diary/settings/",
    ]
    covered = {}
    for path in pages:
        go(page, path)
        open_every_fold(page)
        found = page.evaluate(COVERED)
        if found:
            covered[path] = found
    contact = page.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        witness = contact.new_page()
        witness.goto(link)
        open_every_fold(witness)
        found = witness.evaluate(COVERED)
        if found:
            covered["/w/"] = found
    finally:
        contact.close()
    assert covered == {}


def test_links_standing_on_their_own_are_big_enough_to_tap_on_a_phone(owner_phone: Page):
    page = owner_phone
    entry = quick_capture(page, what="Flowers left at the door again.", when="2026-11-21T08:00")
    invite(page, name="Alex")
    small = {}
    entry_path = re.sub(r"^https?://[^/]+", "", entry)
    for path in [
        "/diary/",
        "/diary/capture/",
        "/diary/entries/new/",
        entry_path,
        entry_path + "amend/",
        "/diary/contacts/",
        "/diary/contacts/new/",
        "/diary/items/",
        "/diary/settings/",
        "/diary/export/",
    ]:
        go(page, path)
        open_every_fold(page)
        found = page.evaluate(SMALL_TARGETS, MIN_TARGET)
        if found:
            small[path] = found
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    go(page, "/accounts/login/")
    found = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    if found:
        small["/accounts/login/"] = found
    assert small == {}
    assert main(page).count() == 1
