"""Smaller things on the owner's forms, on a phone: Copy and Share for a new contact's link (the
Web Share API, or the clipboard where there is none), and "Use where I am now" for an entry's
map position (the browser's location, asked for once, only when tapped). What the server keeps
is read from its own database."""

import json
import re
import secrets
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    arrive,
    dismiss_quick_exit_note_if_shown,
    go,
    invite,
    main,
    photograph,
    reauthenticate_if_asked,
    sign_up,
)
from tests.e2e.server import LiveServer

COPIED = "Copied. Paste it into your messaging app."
SHARED = "Shared."
MESSAGE = (
    "Hello {name}, here is the private link we talked about, for writing down anything you see "
    "or hear. It is just for you, so please do not pass it on. Thank you for helping."
)
# Whitehall, to six decimals, as the diary keeps a position.
HERE = {"latitude": 51.501364, "longitude": -0.14189, "accuracy": 25}

# Counts every time the page asks the browser where it is (this runs before the page's scripts).
COUNT_ASKS = """
(() => {
  window.__asked = {once: 0, watch: 0};
  const geo = navigator.geolocation;
  const once = geo.getCurrentPosition.bind(geo);
  geo.getCurrentPosition = (...args) => { window.__asked.once += 1; return once(...args); };
  geo.watchPosition = () => { window.__asked.watch += 1; return 0; };
})();
"""
# A phone's share sheet, which headless Chromium has none of: what it was given is kept.
SHARE_SHEET = """
Object.defineProperty(Navigator.prototype, 'share', {configurable: true, value: function (data) {
  window.__shared = data; return Promise.resolve();
}});
Object.defineProperty(Navigator.prototype, 'canShare', {configurable: true, value: () => true});
"""
NO_SHARE_SHEET = """
delete Navigator.prototype.share; delete Navigator.prototype.canShare;
"""

ENTRY_POSITION = """
import json
from diary.models import Entry, User
owner = User.objects.get(email={email!r})
print(json.dumps([
    [str(e.current.latitude), str(e.current.longitude), e.versions.count()]
    for e in Entry.objects.filter(diary__owner=owner).order_by("pk")
]))
"""


def shell(server: LiveServer, code: str) -> str:
    return server.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


@pytest.fixture
def owner_phone(new_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    def make(script: str = "", **options) -> Page:
        context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
        if script:
            context.add_init_script(script)
        page = context.new_page()
        page.email = f"owner-{secrets.token_hex(4)}@example.org"  # type: ignore[attr-defined]
        sign_up(page, page.email)  # type: ignore[attr-defined]
        dismiss_quick_exit_note_if_shown(page)
        return page

    return make


def clipboard(page: Page) -> str:
    return page.evaluate("() => navigator.clipboard.readText()")


def test_copy_puts_the_message_and_the_link_on_the_clipboard(owner_phone, screenshots):
    page = owner_phone(NO_SHARE_SHEET, permissions=["clipboard-read", "clipboard-write"])
    link = invite(page, name="Sam")
    message = main(page).get_by_label("A message to send with it")
    expect(message).to_have_value(MESSAGE.format(name="Sam"))
    main(page).get_by_role("button", name="Copy", exact=True).click()
    expect(main(page).get_by_role("status").filter(has_text=COPIED)).to_be_visible()
    photograph(page, screenshots / "contact-link-phone.png", height=1100)
    assert clipboard(page) == MESSAGE.format(name="Sam") + "\n\n" + link

    # Her own words go instead, if she changes them; with none, the link alone.
    message.fill("The link I mentioned.")
    main(page).get_by_role("button", name="Copy", exact=True).click()
    page.wait_for_function(
        "t => navigator.clipboard.readText().then(c => c === t)",
        arg="The link I mentioned.\n\n" + link,
    )
    message.fill("")
    main(page).get_by_role("button", name="Copy", exact=True).click()
    page.wait_for_function("t => navigator.clipboard.readText().then(c => c === t)", arg=link)


def test_share_without_a_share_sheet_copies_instead(owner_phone):
    page = owner_phone(NO_SHARE_SHEET, permissions=["clipboard-read", "clipboard-write"])
    link = invite(page, name="Robin")
    assert page.evaluate("() => 'share' in navigator") is False
    main(page).get_by_role("button", name="Share", exact=True).click()
    expect(main(page).get_by_role("status").filter(has_text=COPIED)).to_be_visible()
    assert clipboard(page) == MESSAGE.format(name="Robin") + "\n\n" + link


def test_share_hands_the_message_and_the_link_to_the_share_sheet(owner_phone):
    page = owner_phone(SHARE_SHEET)
    link = invite(page, name="Alex")
    main(page).get_by_role("button", name="Share", exact=True).click()
    expect(main(page).get_by_role("status").filter(has_text=SHARED)).to_be_visible()
    shared = page.evaluate("() => window.__shared")
    assert shared == {"text": MESSAGE.format(name="Alex"), "url": link}


def test_use_where_i_am_now_asks_once_when_tapped_and_keeps_the_position(
    owner_phone, app_server: LiveServer, screenshots
):
    page = owner_phone(COUNT_ASKS, permissions=["geolocation"], geolocation=HERE)
    go(page, "/diary/entries/new/")
    form = main(page)
    assert page.evaluate("() => window.__asked") == {"once": 0, "watch": 0}
    for name in ("latitude", "longitude"):
        assert form.locator(f"[name={name}]").get_attribute("type") == "hidden"
    expect(form.get_by_text("No map position.")).to_be_visible()
    expect(form.get_by_role("button", name="Remove the map position")).to_be_hidden()

    form.locator("[name=what_happened]").fill("He followed me from the station.")
    form.get_by_role("button", name="Use where I am now").click()
    expect(
        form.get_by_text("Map position kept: 51.501364, -0.141890, to within about 25 m.")
    ).to_be_visible()
    assert page.evaluate("() => window.__asked") == {"once": 1, "watch": 0}
    form.get_by_role("button", name="Use where I am now").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "entry-where-now-phone.png")

    form.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/diary/entries/\d+/$"))
    arrive(page)
    email = page.email  # type: ignore[attr-defined]
    assert json.loads(shell(app_server, ENTRY_POSITION.format(email=email))) == [
        [str(Decimal("51.501364")), str(Decimal("-0.141890")), 1]
    ]

    # Amending keeps it unless she removes it.
    go(page, re.sub(r"^https?://[^/]+", "", page.url) + "amend/")
    form = main(page)
    expect(form.get_by_text("Map position kept: 51.501364, -0.141890.")).to_be_visible()
    form.get_by_role("button", name="Remove the map position").click()
    expect(form.get_by_text("No map position.")).to_be_visible()
    form.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/diary/entries/\d+/$"))
    assert json.loads(shell(app_server, ENTRY_POSITION.format(email=email))) == [
        ["None", "None", 2]
    ]
    assert page.evaluate("() => window.__asked") == {"once": 0, "watch": 0}


def test_a_phone_that_will_not_say_where_it_is_gets_a_plain_answer(owner_phone):
    page = owner_phone()
    page.context.clear_permissions()
    go(page, "/diary/entries/new/")
    main(page).get_by_role("button", name="Use where I am now").click()
    expect(
        main(page).get_by_text("Your phone did not share where you are.", exact=False)
    ).to_be_visible()
    assert main(page).locator("[name=latitude]").input_value() == ""


def totp_now(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def test_setting_up_a_second_step_ends_with_a_clear_next_step(owner_phone, screenshots):
    page = owner_phone()
    go(page, "/diary/settings/")
    main(page).get_by_role("link", name="A second step when you sign in").click()
    arrive(page)
    expect(main(page).get_by_role("heading", level=1)).to_have_text(
        "A second step when you sign in"
    )
    main(page).get_by_role("link", name="Set up an authenticator app").click()
    arrive(page)
    reauthenticate_if_asked(page)
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    secret = main(page).get_by_label("The key, to type in instead").input_value()
    main(page).get_by_label("The 6-digit code from the app").fill(totp_now(secret))
    main(page).get_by_role("button", name="Turn it on").click()
    arrive(page)

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    expect(main(page)).to_contain_text(
        "The authenticator app is on. Keep your recovery codes below somewhere safe."
    )
    codes = main(page).locator("#recovery_codes").input_value().split()
    assert len(codes) >= 8
    next_step = main(page).get_by_role("region", name="What next")
    expect(next_step.get_by_role("button", name="Carry on to your diary")).to_be_visible()
    photograph(page, screenshots / "two-step-done-phone.png", full_page=True)

    next_step.get_by_role("button", name="Carry on to your diary").click()
    arrive(page)
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Timeline")


def test_the_sign_in_page_on_a_phone(new_context, screenshots):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    go(page, "/accounts/login/")
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(main(page).get_by_label("E-mail address")).to_be_visible()
    expect(main(page).get_by_label("Password")).to_be_visible()
    photograph(page, screenshots / "sign-in-phone.png")


def test_the_passkey_page_is_in_the_same_words_and_its_scripts_run_cleanly(owner_phone):
    page = owner_phone()
    go(page, "/accounts/2fa/")
    main(page).get_by_role("link", name="Add a passkey or security key").click()
    arrive(page)
    reauthenticate_if_asked(page)
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Add a passkey or security key")
    expect(main(page).get_by_role("button", name="Add it")).to_be_visible()
    # (the watch fixture fails the test if a script failed or the CSP refused one)
