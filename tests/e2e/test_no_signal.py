"""A contact with no signal (drafts.js), in Debian's Chromium with the network switched off or a
send cut off: what they wrote waits on the page as a draft, says it has not been sent, and goes
once, and only once, when they try again or the signal comes back. What the server holds is
read from its own database."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Route, expect

from tests.e2e import a11y
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import arrive, main, quick_exit
from tests.e2e.server import LiveServer

NOT_SENT = "Not sent yet — no connection."
RESTORED = "What you wrote before is back in the form. It has not been sent yet."
CHOOSE_AGAIN = "Photos and files are not kept on this page: if you chose any, choose them again."
SENT = "Sent. Thank you."
SLOT = "draft:witness"

# Run inside the live server's own database (manage.py shell), as the owner's side would.
NEW_CONTACT = """
import secrets
from diary.models import User
from diary.records.services import diary_create
from witnesses.services.links import witness_invite
owner = User.objects.create_user(email=f"owner-{secrets.token_hex(4)}@example.org")
diary = diary_create(owner=owner)
_, token = witness_invite(diary=diary, actor=owner, name="Robin", relationship="neighbour")
print(token)
"""
WHAT_THEY_SENT = """
import json
from witnesses.models import SubmissionFile, WitnessLink
from witnesses.services.links import token_sha256
witness = WitnessLink.objects.get(token_sha256=token_sha256({token!r})).witness
print(json.dumps({{
    "references": list(witness.submissions.values_list("reference", flat=True)),
    "files": SubmissionFile.objects.filter(submission__witness=witness).count(),
}}))
"""
STOP_LINK = """
from witnesses.models import WitnessLink
from witnesses.services.links import link_revoke, token_sha256
witness = WitnessLink.objects.get(token_sha256=token_sha256({token!r})).witness
link_revoke(witness=witness, actor=witness.diary.owner)
"""


def shell(server: LiveServer, code: str) -> str:
    """Run `code` in the live server's database; what it printed last."""
    return server.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


class Contact:
    """A contact's phone on their page, and what the server holds from them."""

    def __init__(self, server: LiveServer, context: BrowserContext, token: str) -> None:
        self.server, self.context, self.token = server, context, token
        self.page = context.new_page()
        self.page.goto(f"/w/{token}")
        arrive(self.page)
        expect(self.page).to_have_url(re.compile(r"/w/$"))

    def sent(self) -> dict[str, Any]:
        return json.loads(shell(self.server, WHAT_THEY_SENT.format(token=self.token)))

    def draft(self) -> dict[str, Any] | None:
        return json.loads(self.page.evaluate(f"() => sessionStorage.getItem('{SLOT}')") or "null")

    def key(self) -> str:
        return main(self.page).locator("[name=idempotency_key]").input_value()

    def write(self, what: str, *, photo: Path | None = None) -> None:
        form = main(self.page)
        form.get_by_label("I saw them").check()
        form.get_by_label("Where").fill("Bus stop, High Street")
        form.get_by_label("What you saw or heard").fill(what)
        if photo:
            self.choose(photo)

    def choose(self, photo: Path) -> None:
        main(self.page).get_by_label("Photos, videos, recordings or files").set_input_files(photo)

    def send(self) -> None:
        main(self.page).get_by_role("button", name="Send", exact=True).click()

    def sees_the_receipt(self) -> str:
        expect(main(self.page).get_by_role("heading", level=1)).to_have_text(SENT)
        expect(self.page).to_have_url(re.compile(r"/w/sent/[\w-]+/$"))
        arrive(self.page)
        return self.page.url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def contact(
    app_server: LiveServer, new_context: Callable[..., BrowserContext]
) -> Callable[[], Contact]:
    def make() -> Contact:
        token = shell(app_server, NEW_CONTACT)
        context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        return Contact(app_server, context, token)

    return make


def lose_answers(route: Route) -> None:
    """The send reaches the server, which records it; its answer never reaches the phone."""
    if route.request.method != "POST":
        route.fallback()
        return
    answer = route.fetch(max_redirects=0)
    assert answer.status == 302, answer.status
    route.abort("connectionreset")


def cut_off(route: Route) -> None:
    """The send never leaves the phone (the browser still thinks it is online)."""
    if route.request.method != "POST":
        route.fallback()
        return
    route.abort("internetdisconnected")


def test_a_note_sent_offline_waits_and_goes_once_when_the_signal_is_back(
    contact, photo: Path, screenshots: Path
):
    robin = contact()
    page = robin.page
    robin.write("He sat in the grey car outside number 14 for an hour.", photo=photo)
    robin.context.set_offline(True)
    robin.send()

    expect(main(page).get_by_text(NOT_SENT)).to_be_visible()
    expect(main(page).get_by_role("status")).to_contain_text(NOT_SENT)
    expect(main(page).get_by_role("button", name="Try again")).to_be_visible()
    expect(main(page).get_by_label("What you saw or heard")).to_have_value(
        "He sat in the grey car outside number 14 for an hour."
    )
    assert robin.sent() == {"references": [], "files": 0}
    draft = robin.draft()
    assert draft is not None
    assert ["what_happened", "He sat in the grey car outside number 14 for an hour."] in draft[
        "fields"
    ]
    assert ["idempotency_key", robin.key()] in draft["fields"]
    assert draft["files"] is True
    assert not any(name == "csrfmiddlewaretoken" for name, _ in draft["fields"])
    assert "car-outside.jpg" not in json.dumps(draft), "files are never kept"
    problems = a11y.check_page(page)
    assert problems == [], "\n".join(problems)
    main(page).get_by_role("button", name="Try again").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, 120)")
    page.screenshot(path=screenshots / "witness-not-sent-phone.png")

    robin.context.set_offline(False)  # the browser says it is online: the page sends by itself
    reference = robin.sees_the_receipt()
    assert robin.sent() == {"references": [reference], "files": 1}
    assert robin.draft() is None
    kept = page.evaluate("() => Object.keys(sessionStorage)")
    assert [name for name in kept if name.startswith("draft:")] == []

    # The receipt was shown in place at its own address: Back loads the form afresh.
    with page.expect_event("load"):
        page.go_back()
    arrive(page)
    expect(page).to_have_url(re.compile(r"/w/$"))
    expect(main(page).get_by_label("What you saw or heard")).to_have_value("")
    expect(main(page).get_by_text(RESTORED)).to_be_hidden()


def server_trouble(route: Route) -> None:
    """A proxy in between answers for a server that is down."""
    if route.request.method != "POST":
        route.fallback()
        return
    route.fulfill(status=502, content_type="text/html", body="<h1>Bad Gateway</h1>")


@pytest.mark.parametrize(
    ("trouble", "says"),
    [(cut_off, NOT_SENT), (server_trouble, "Not sent yet — something went wrong at our end.")],
)
def test_try_again_sends_a_note_that_could_not_go(contact, trouble, says: str):
    robin = contact()
    page = robin.page
    page.route("**/w/", trouble)
    robin.write("He walked past the shop three times.")
    robin.send()
    expect(main(page).get_by_text(says)).to_be_visible()
    expect(main(page).get_by_label("What you saw or heard")).to_have_value(
        "He walked past the shop three times."
    )
    assert robin.sent()["references"] == []
    assert robin.draft() is not None

    page.unroute("**/w/", trouble)
    main(page).get_by_role("button", name="Try again").click()
    reference = robin.sees_the_receipt()
    assert robin.sent() == {"references": [reference], "files": 0}
    assert robin.draft() is None


def test_the_draft_survives_a_reload_before_it_is_sent(contact, photo: Path):
    robin = contact()
    page = robin.page
    robin.context.set_offline(True)
    robin.write("A man in a navy jacket asked which flat she lives in.", photo=photo)
    main(page).get_by_text("More details (optional)").click()
    main(page).get_by_label("Vehicle registration").fill("KX19 ABC")
    key = robin.key()
    robin.context.set_offline(False)
    page.reload()
    arrive(page)

    form = main(page)
    expect(form.get_by_text(RESTORED)).to_be_visible()
    expect(form.get_by_text(CHOOSE_AGAIN)).to_be_visible()
    expect(form.get_by_label("What you saw or heard")).to_have_value(
        "A man in a navy jacket asked which flat she lives in."
    )
    expect(form.get_by_label("I saw them")).to_be_checked()
    expect(form.get_by_label("Where")).to_have_value("Bus stop, High Street")
    expect(form.get_by_label("Vehicle registration")).to_have_value("KX19 ABC")
    assert robin.key() == key
    assert robin.sent()["references"] == []

    robin.choose(photo)
    robin.send()
    reference = robin.sees_the_receipt()
    assert robin.sent() == {"references": [reference], "files": 1}
    assert robin.draft() is None


@pytest.mark.parametrize("retry", ["try again", "reload"])
def test_a_send_whose_answer_was_lost_is_recorded_once_however_it_is_retried(contact, retry: str):
    """Without a photo: Chromium hands a request's interceptor no file bytes, so a send with
    one cannot be passed on from here (tests/witnesses/test_drafts.py sends the same photo
    twice under one key)."""
    robin = contact()
    page = robin.page
    page.route("**/w/", lose_answers)
    robin.write("She was followed from the station to the corner of Elm Road.")
    robin.send()
    expect(main(page).get_by_text(NOT_SENT)).to_be_visible()
    first = robin.sent()
    assert len(first["references"]) == 1, "the first send did arrive"
    page.unroute("**/w/", lose_answers)

    if retry == "try again":
        main(page).get_by_role("button", name="Try again").click()
    else:
        page.reload()
        arrive(page)
        expect(main(page).get_by_text(RESTORED)).to_be_visible()
        robin.send()
    reference = robin.sees_the_receipt()
    assert [reference] == first["references"]
    assert robin.sent() == {"references": [reference], "files": 0}
    assert robin.draft() is None


def test_words_changed_after_a_send_that_arrived_are_not_taken_for_a_retry(contact):
    """The first try arrived unseen; the contact then changes the words and tries again. The
    server keeps the first and says so; opening the page again brings the new words back under
    a new key, to send as a note of their own if the contact wants to."""
    robin = contact()
    page = robin.page
    page.route("**/w/", lose_answers)
    robin.write("A silver car idling by the school gates.")
    first_key = robin.key()
    robin.send()
    expect(main(page).get_by_text(NOT_SENT)).to_be_visible()
    page.unroute("**/w/", lose_answers)
    [first] = robin.sent()["references"]

    main(page).get_by_label("What you saw or heard").fill("A silver Ford idling by the gates.")
    main(page).get_by_role("button", name="Try again").click()
    expect(main(page)).to_contain_text("This form was already sent, with different details.")
    assert robin.sent()["references"] == [first]

    page.goto("/w/")
    arrive(page)
    expect(main(page).get_by_text(RESTORED)).to_be_visible()
    expect(main(page).get_by_label("What you saw or heard")).to_have_value(
        "A silver Ford idling by the gates."
    )
    assert robin.key() != first_key
    robin.send()
    second = robin.sees_the_receipt()
    assert sorted(robin.sent()["references"]) == sorted([first, second])


def test_an_answer_to_fix_is_shown_as_the_server_wrote_it_and_not_tried_again(contact):
    robin = contact()
    page = robin.page
    robin.write("He was at the gate again.")
    form = main(page)
    form.get_by_label("Between two times").check()
    form.get_by_label("When").fill("2026-11-20T18:00")
    form.get_by_label("Until").fill("2026-11-20T17:00")
    robin.send()

    expect(main(page)).to_contain_text("The end time is before the start time.")
    expect(main(page).get_by_text(NOT_SENT)).to_be_hidden()
    expect(main(page).get_by_role("button", name="Try again")).to_be_hidden()
    assert robin.sent()["references"] == []
    assert robin.draft() is not None, "still unsent: the draft stays"

    main(page).get_by_label("Until").fill("2026-11-20T19:00")
    robin.send()
    reference = robin.sees_the_receipt()
    assert robin.sent()["references"] == [reference]
    assert robin.draft() is None


def test_an_ended_link_takes_the_draft_with_it(contact, app_server: LiveServer):
    robin = contact()
    page = robin.page
    robin.write("Flowers left on her car again.")
    assert robin.draft() is not None
    app_server.manage("shell", "--no-imports", "-c", STOP_LINK.format(token=robin.token))
    robin.send()
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Link not active")
    expect(main(page)).not_to_contain_text(NOT_SENT)
    assert robin.draft() is None
    assert robin.sent()["references"] == []


def test_the_quick_exit_takes_the_draft_with_it(contact):
    robin = contact()
    page = robin.page
    robin.write("He photographed the house from across the road.")
    assert robin.draft() is not None
    quick_exit(page, by="button")
    # Leaving ended this phone's visit too: the page is the neutral one, with no draft.
    page.goto("/w/")
    arrive(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Link not active")
    expect(page.locator("body")).not_to_contain_text("photographed the house")
    assert robin.draft() is None
