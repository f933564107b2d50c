"""Steps the journeys share, each in one place, so a change to a flow (a two-factor offer after
sign-up, re-authentication before an export, a note before the first quick exit) is adapted here
once. Every helper that lands on a page checks it for accessibility (see a11y.py)."""

import re
import weakref
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e import a11y
from tests.e2e.server import QUICK_EXIT_URL
from tests.mailfiles import confirm_path

PASSWORD = "Quiet-harbour-lantern-42"
# Where the live server writes its mail (set by the app_server fixture).
MAIL_DIR: Path | None = None
# Each kind of page is checked once a run: the journeys visit many pages more than once.
AUDITED: set[str] = set()
# Browser contexts with JavaScript switched off. axe-core cannot run there (its timers never
# fire), so their pages get the label and focus checks only; the same pages with scripts on
# get all three.
SCRIPTLESS: "weakref.WeakSet[BrowserContext]" = weakref.WeakSet()


def arrive(page: Page) -> None:
    """Wait for the page to finish loading, then check it (once per kind of page)."""
    page.wait_for_load_state("load")
    if page.url.startswith(QUICK_EXIT_URL):
        return
    scripts = page.context not in SCRIPTLESS
    key = f"{a11y.page_key(page)} scripts={scripts}"
    if key in AUDITED:
        return
    AUDITED.add(key)
    problems = a11y.check_page(page, axe=scripts)
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)


def main(page: Page) -> Locator:
    """The page's own content (the navigation has a "Sign out" button of its own)."""
    return page.locator("main")


def go(page: Page, path: str) -> None:
    page.goto(path)
    arrive(page)


def press(page: Page, name: str | re.Pattern[str]) -> None:
    """Click a button inside <main> and wait for the page it leads to."""
    main(page).get_by_role("button", name=name, exact=isinstance(name, str)).click()
    arrive(page)


def follow(page: Page, name: str | re.Pattern[str], *, within: str = "main") -> None:
    page.locator(within).get_by_role("link", name=name, exact=isinstance(name, str)).first.click()
    arrive(page)


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    go(page, "/accounts/signup/")
    form = main(page)
    form.locator("[name=email]").fill(email)
    form.locator("[name=password1]").fill(password)
    form.locator("[name=password2]").fill(password)
    press(page, re.compile(r"sign up", re.I))
    confirm_address(page, email)
    skip_2fa_offer_if_shown(page)
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Timeline")


def confirm_address(page: Page, email: str, *, keyboard: bool = False) -> None:
    """After sign-up, "check your e-mail"; open the link from her inbox in the same browser
    and confirm, which signs her in."""
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert MAIL_DIR is not None
    go(page, confirm_path(MAIL_DIR, email))
    if keyboard:
        tab_to(page, "main button[type=submit]")
        enter(page)
        arrive(page)
    else:
        press(page, re.compile(r"confirm", re.I))


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    go(page, "/accounts/login/")
    main(page).locator("[name=login]").fill(email)
    main(page).locator("[name=password]").fill(password)
    press(page, re.compile(r"sign in", re.I))
    skip_2fa_offer_if_shown(page)


def skip_2fa_offer_if_shown(page: Page, *, keyboard: bool = False) -> None:
    """Two-step sign-in may be offered after sign-up; the journeys decline it for now."""
    not_now = re.compile(r"^(not now|skip|later)", re.I)
    skip = (
        main(page)
        .get_by_role("link", name=not_now)
        .or_(main(page).get_by_role("button", name=not_now))
    )
    if not skip.count():
        return
    if keyboard:
        tab_to(page, skip.first)
        enter(page)
    else:
        skip.first.click()
        arrive(page)


def reauthenticate_if_asked(page: Page, password: str = PASSWORD) -> None:
    """Steps that grant access or could remove evidence from view (an export, an invite, the
    brief) ask for the password again first, unless it was given in the last few minutes."""
    if "/reauthenticate" not in page.url:
        return
    main(page).locator("[name=password]").fill(password)
    press(page, re.compile(r"confirm|continue|sign in", re.I))


def quick_exit(page: Page, *, by: str) -> None:
    """Leave by the button or by Esc pressed three times; either lands on the neutral site."""
    if by == "button":
        page.get_by_role("button", name="Leave this site").click()
    else:
        for _ in range(3):
            page.keyboard.press("Escape")
    confirm_quick_exit_note_if_shown(page)
    page.wait_for_url(QUICK_EXIT_URL)
    expect(page).to_have_title("Weather")


def dismiss_quick_exit_note_if_shown(page: Page) -> None:
    """Read the first-time note about "Leave this site" and press "Got it" (it stays away)."""
    got_it = main(page).get_by_role("button", name="Got it")
    if got_it.count():
        got_it.click()
        arrive(page)
        expect(main(page).get_by_role("button", name="Got it")).to_have_count(0)


def confirm_quick_exit_note_if_shown(page: Page) -> None:
    """A first-time note may explain quick exit before it leaves; the journeys go on through it."""
    if page.url.startswith(QUICK_EXIT_URL):
        return
    leave = page.get_by_role("button", name=re.compile(r"^leave", re.I)).or_(
        page.get_by_role("link", name=re.compile(r"^(leave now|continue)", re.I))
    )
    if leave.count() and leave.first.is_visible():
        leave.first.click()


def quick_capture(
    page: Page,
    *,
    what: str,
    when: str,
    photo: Path | None = None,
    where: str = "",
    words: str = "",
    kinds: tuple[str, ...] = (),
    screenshot: Path | None = None,
) -> str:
    """Record an entry through quick capture (and photograph the form, filled in, when asked);
    returns the entry's URL."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Write it down").click()
    arrive(page)
    form = main(page)
    form.get_by_label("What happened?").fill(what)
    form.get_by_label("When?").fill(when)
    if photo or where or words or kinds:
        form.get_by_text("Add more (optional)").click()
        if photo:
            form.get_by_label("Photos, videos, recordings or screenshots").set_input_files(photo)
        if where:
            form.get_by_label("Where?").fill(where)
        if words:
            form.get_by_label("Exact words used").fill(words)
        for kind in kinds:
            form.get_by_label(kind, exact=True).check()
    if screenshot:
        photograph(page, screenshot, full_page=True)
    press(page, "Save")
    expect(main(page)).to_contain_text(what)
    return page.url


def invite(page: Page, *, name: str, relationship: str = "Neighbour") -> str:
    """Invite a contact; returns the link, which the owner sees only this once."""
    go(page, "/diary/contacts/new/")
    reauthenticate_if_asked(page)  # a link grants access: she confirms it is her first
    form = main(page)
    form.get_by_label("Name, as you know them").fill(name)
    form.get_by_label("Relationship").select_option(label=relationship)
    press(page, "Make their link")
    link = main(page).get_by_label("Link to send").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/w/[\w-]{43,}", link), link
    return link


def tab_to(page: Page, target: str | Locator, *, limit: int = 150) -> None:
    """Press Tab until `target` (a CSS selector or a locator) has focus: keyboard only."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if isinstance(target, str):
            there = page.evaluate("s => document.activeElement?.matches(s) ?? false", target)
        else:
            there = target.evaluate("element => element === document.activeElement")
        if there:
            return
    raise AssertionError(f"Tab never reached {target} on {page.url}")


def tab_and_type(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def enter(page: Page) -> None:
    """Press Enter on what has focus (a link or a submit button) and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    arrive(page)


def photograph(
    page: Page, path: Path, *, full_page: bool = False, height: int | None = None
) -> None:
    """A screenshot from the top of the page (down to `height` pixels, when given), nothing
    focused: a whole-page shot taken while scrolled draws the fixed "Leave this site" button
    where the view was."""
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    if height:
        width = page.viewport_size["width"] if page.viewport_size else 360
        page.screenshot(
            path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )
    else:
        page.screenshot(path=path, full_page=full_page)
