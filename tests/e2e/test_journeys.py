"""What people do with Sightline, in a real browser against a real server. Every page a journey
lands on is checked for accessibility on the way (helpers.arrive)."""

import re
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    PASSWORD,
    SCRIPTLESS,
    arrive,
    confirm_address,
    dismiss_quick_exit_note_if_shown,
    enter,
    follow,
    go,
    invite,
    main,
    photograph,
    press,
    quick_capture,
    quick_exit,
    reauthenticate_if_asked,
    sign_in,
    sign_up,
    skip_2fa_offer_if_shown,
    tab_and_type,
    tab_to,
)
from tests.e2e.server import QUICK_EXIT_URL, LiveServer

LONDON = ZoneInfo("Europe/London")
DESK = {"width": 900, "height": 1000}
WORDS = "You can't hide from me. I know where you work now."


def new_email() -> str:
    return f"owner-{secrets.token_hex(4)}@example.org"


def local_input(hours_ago: float) -> str:
    """A value for a datetime-local field: that long ago, in the owner's zone."""
    return (datetime.now(LONDON) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def shown(value: str) -> str:
    """How the pages write a datetime-local value: "Tue 24 Nov 2026, 08:15"."""
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M")
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    arrive(page)


def open_timeline_card(page: Page, text: str) -> None:
    nav(page, "Timeline")
    card = main(page).locator("#timeline .card").filter(has_text=text)
    expect(card).to_have_count(1)
    card.get_by_role("link").click()
    arrive(page)


def witness_sends(page: Page, *, what: str, words: str, where: str, when: str) -> None:
    """A contact fills in their page and sends an approach."""
    form = main(page)
    form.get_by_label("They approached me or spoke to me").check()
    form.get_by_label("When").fill(when)
    form.get_by_label("Where").fill(where)
    form.get_by_label("What you saw or heard").fill(what)
    form.get_by_label("The exact words used").fill(words)
    press(page, "Send")


def write_brief(page: Page) -> None:
    go(page, "/diary/brief/")
    reauthenticate_if_asked(page)
    form = main(page)
    form.get_by_label("Who to look out for").fill(
        "A man in his forties, tall, short grey hair, often in a navy puffer jacket."
    )
    form.get_by_label("Vehicles").fill("Silver Ford Focus, registration begins KX19.")
    form.get_by_label("Places").fill("Elm Road, the High Street bus stop, the station car park.")
    form.get_by_label("What to write down").fill(
        "The time, where, what he said word for word, and his car's registration."
    )
    press(page, "Save")


def test_a_new_owner_records_an_incident_with_a_photo_on_a_phone(
    phone: Page, photo: Path, screenshots: Path
):
    sign_up(phone, new_email())
    dismiss_quick_exit_note_if_shown(phone)
    when = local_input(hours_ago=1.5)
    entry_url = quick_capture(
        phone,
        what="A grey car was parked across the road from my flat for an hour, engine running.",
        when=when,
        photo=photo,
        where="Outside my flat, Elm Road",
        kinds=("Watching or spying", "Loitering"),
        screenshot=screenshots / "quick-capture-phone.png",
    )
    expect(main(phone).get_by_role("img", name="Preview of E001")).to_be_visible()

    open_timeline_card(phone, "A grey car was parked")
    expect(phone).to_have_url(entry_url)
    expect(main(phone)).to_contain_text(shown(when))
    expect(main(phone)).to_contain_text("Outside my flat, Elm Road")


def test_a_contact_reads_the_brief_and_sends_an_approach_that_arrives_live(
    page: Page, new_context: Callable[..., BrowserContext]
):
    owner = page
    sign_up(owner, new_email())
    write_brief(owner)
    link = invite(owner, name="Pat", relationship="Neighbour")
    go(owner, "/diary/inbox/")
    expect(owner.locator("body[data-live-open]")).to_have_count(1)
    owner.evaluate("() => { window.stillTheSamePage = true; }")

    contact = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    contact.goto(link)
    arrive(contact)
    expect(contact).to_have_url(re.compile(r"/w/$"))
    expect(main(contact)).to_contain_text("Silver Ford Focus, registration begins KX19.")
    witness_sends(
        contact,
        what="He stopped me at the gate and asked which bus she takes to work.",
        words=WORDS,
        where="Front gate, 14 Elm Road",
        when=local_input(hours_ago=0.5),
    )
    expect(main(contact)).to_contain_text("Received")

    card = owner.locator("#inbox-list .card").filter(has_text="He stopped me at the gate")
    expect(card).to_be_visible()
    expect(card).to_contain_text("From Pat (neighbour)")
    expect(owner.locator("#inbox-count")).to_contain_text("1")
    assert owner.evaluate("() => window.stillTheSamePage === true"), "the inbox was reloaded"

    card.get_by_role("link").click()
    arrive(owner)
    expect(main(owner).locator("blockquote")).to_have_text(WORDS)
    press(owner, "Add to my timeline")
    expect(main(owner)).to_contain_text("Added to your timeline.")
    nav(owner, "Timeline")
    entry = main(owner).locator("#timeline .card").filter(has_text="He stopped me at the gate")
    expect(entry).to_contain_text("reported by Pat (neighbour)")
    expect(entry.locator("blockquote")).to_have_text(WORDS)
    # The contact's page hears the decision too.
    expect(main(contact)).to_contain_text("Added to the diary")


def test_the_owner_exports_a_bundle_that_verifies(page: Page, photo: Path, tmp_path: Path):
    sign_up(page, new_email())
    quick_capture(page, what="Three silent calls from a withheld number.", when=local_input(3))
    quick_capture(
        page, what="A card left under the door, unsigned.", when=local_input(1), photo=photo
    )
    nav(page, "Export")
    reauthenticate_if_asked(page)
    press(page, "Make the bundle")
    reauthenticate_if_asked(page)
    # Made in the background: the job's page says how it goes, and when it is ready.
    expect(page).to_have_url(re.compile(r"/diary/jobs/[0-9a-f-]{36}/$"))
    expect(main(page)).to_contain_text("Bundle 1 is ready.", timeout=60_000)
    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="Download bundle 1").click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)

    folder = tmp_path / "bundle"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    [root] = [path for path in folder.rglob("verify.py")]
    checked = subprocess.run(
        [sys.executable, "verify.py"], cwd=root.parent, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK"), checked.stdout
    assert (root.parent / "chronology.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((root.parent / "evidence").iterdir())) == 1


def test_a_revoked_contact_gets_the_neutral_page(
    page: Page, new_context: Callable[..., BrowserContext]
):
    owner = page
    sign_up(owner, new_email())
    link = invite(owner, name="Sam", relationship="Colleague")
    contact_url = owner.url.replace("/link/", "/")

    # The contact's phone, live; and their laptop, without JavaScript, half-way through a note.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(link)
    arrive(phone)
    expect(phone.locator("body[data-live-open]")).to_have_count(1)
    laptop_context = new_context(java_script_enabled=False)
    SCRIPTLESS.add(laptop_context)
    laptop = laptop_context.new_page()
    laptop.goto(link)
    arrive(laptop)
    main(laptop).get_by_label("I saw them").check()
    main(laptop).get_by_label("What you saw or heard").fill("He was outside the office again.")

    go(owner, contact_url)
    press(owner, "Stop their link now")
    expect(main(owner)).to_contain_text("Revoked")

    # The live page turns into the neutral page by itself; the laptop's next send gets it.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Link not active")
    arrive(phone)
    press(laptop, "Send")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Link not active")
    for device in (phone, laptop):
        expect(main(device)).not_to_contain_text("Sam")
        device.goto(link)
        expect(device.get_by_role("heading", level=1)).to_have_text("Link not active")
        device.goto("/w/")
        expect(device.get_by_role("heading", level=1)).to_have_text("Link not active")


def test_quick_exit_by_the_button_and_by_escape_leaves_no_way_back(
    page: Page, context: BrowserContext
):
    email = new_email()
    sign_up(page, email)
    quick_capture(page, what="Flowers left on the car windscreen.", when=local_input(2))

    # The owner has been looking round the diary in this tab when she has to leave: Back, once
    # or twice, must not bring any of it back (quick exit also signs her out on the way).
    for n, how in enumerate(("button", "escape")):
        if n:
            sign_in(page, email)
        go(page, "/diary/")
        go(page, "/diary/items/")
        go(page, "/diary/capture/")
        quick_exit(page, by=how)
        expect(page).to_have_url(QUICK_EXIT_URL)
        # The sign-out travels as a beacon beside the exit: a second tab sees it land, as
        # anyone picking the device up a moment later would.
        probe = page.context.new_page()
        probe.goto("/diary/")
        expect(probe).to_have_url(re.compile(r"/accounts/login/"))
        probe.close()
        for _ in range(2):
            page.go_back()
            arrive(page)
            assert "/accounts/login/" in page.url, f"Back reached {page.url} after {how}"
            expect(page.locator("body")).not_to_contain_text("Flowers left")


def test_without_javascript_leaving_signs_out_and_back_meets_the_sign_in_page(
    new_context: Callable[..., BrowserContext],
):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    SCRIPTLESS.add(context)
    page = context.new_page()
    email = new_email()
    sign_up(page, email)
    quick_capture(page, what="Flowers left on the car windscreen.", when=local_input(2))
    link = invite(page, name="Jo", relationship="Friend")
    go(page, "/diary/")
    go(page, "/diary/items/")
    quick_exit(page, by="button")
    expect(page).to_have_url(QUICK_EXIT_URL)
    for _ in range(2):
        page.go_back()
        arrive(page)
        assert "/accounts/login/" in page.url, f"Back reached {page.url}"
        expect(page.locator("body")).not_to_contain_text("Flowers left")

    # A contact on a phone without JavaScript: leaving ends that phone's visit.
    contact = new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    SCRIPTLESS.add(contact)
    phone = contact.new_page()
    phone.goto(link)
    arrive(phone)
    expect(main(phone)).to_contain_text("Send what you saw or heard")
    quick_exit(phone, by="button")
    expect(phone).to_have_url(QUICK_EXIT_URL)
    phone.go_back()
    arrive(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Link not active")


def test_without_javascript_entries_submissions_and_decisions_still_work(
    new_context: Callable[..., BrowserContext], photo: Path
):
    def scriptless_phone() -> Page:
        context = new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
        )
        SCRIPTLESS.add(context)
        return context.new_page()

    owner = scriptless_phone()
    sign_up(owner, new_email())
    quick_capture(
        owner,
        what="He walked past the house four times between 7 and 8.",
        when=local_input(hours_ago=5),
        photo=photo,
        words="Nice curtains.",
    )
    link = invite(owner, name="Jo", relationship="Friend")

    contact = scriptless_phone()
    contact.goto(link)
    arrive(contact)
    witness_sends(
        contact,
        what="Saw him in the station car park, by her car.",
        words=WORDS,
        where="Station car park",
        when=local_input(hours_ago=2),
    )
    expect(main(contact)).to_contain_text("Received")

    nav(owner, "Inbox")
    follow(owner, re.compile("Was approached or spoken to"))
    press(owner, "Add to my timeline")
    expect(main(owner)).to_contain_text("Added to your timeline.")
    nav(owner, "Timeline")
    cards = main(owner).locator("#timeline .card")
    expect(cards.filter(has_text="He walked past the house")).to_contain_text("1 file")
    expect(cards.filter(has_text="Saw him in the station car park")).to_contain_text(
        "reported by Jo (friend)"
    )


def test_keyboard_only_a_new_owner_records_an_incident_with_a_photo(phone: Page, photo: Path):
    page = phone
    email = new_email()
    page.goto("/accounts/signup/")
    arrive(page)
    tab_and_type(page, "main [name=email]", email)
    tab_and_type(page, "main [name=password1]", PASSWORD)
    tab_and_type(page, "main [name=password2]", PASSWORD)
    tab_to(page, "main button[type=submit]")
    enter(page)
    confirm_address(page, email, keyboard=True)
    skip_2fa_offer_if_shown(page, keyboard=True)
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Timeline")

    tab_to(page, "nav a[href='/diary/capture/']")
    enter(page)
    tab_and_type(page, "main textarea[name=what_happened]", "He followed me from the bus stop.")
    tab_to(page, "main input[name=precision]")
    page.keyboard.press("ArrowDown")
    expect(main(page).get_by_label("Around this time")).to_be_checked()
    tab_to(page, "main details.more > summary")
    page.keyboard.press("Enter")
    tab_to(page, "main input[type=file]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(photo)
    tab_and_type(page, "main [name=location]", "Bus stop, High Street")
    tab_to(page, "main button[type=submit]")
    enter(page)
    expect(main(page)).to_contain_text("He followed me from the bus stop.")
    expect(main(page).get_by_role("img", name="Preview of E001")).to_be_visible()

    tab_to(page, "nav a[href='/diary/']")
    enter(page)
    card = main(page).locator("#timeline .card").filter(has_text="He followed me")
    expect(card).to_contain_text("around")
    expect(card).to_contain_text("1 file")
    tab_to(page, "#timeline .card a")
    enter(page)
    expect(main(page)).to_contain_text("Bus stop, High Street")


def test_a_lived_in_diary_page_by_page_with_screenshots(
    app_server: LiveServer,
    new_context: Callable[..., BrowserContext],
    screenshots: Path,
    tmp_path: Path,
):
    """The demo diary (a few weeks of entries, files, contacts and what they sent): every owner
    page, the contact's page, and the bundle's PDF, photographed for the README."""
    printed = app_server.manage("seed_demo", "--password", PASSWORD)
    token = re.search(r"/w/([\w-]{43,})", printed)
    assert token, printed

    owner = new_context(viewport=DESK).new_page()
    sign_in(owner, "demo@example.com")
    nav(owner, "Timeline")  # again, past the "signed in" note
    dismiss_quick_exit_note_if_shown(owner)
    expect(main(owner).locator("#timeline .card")).not_to_have_count(0)
    photograph(owner, screenshots / "timeline.png")
    open_timeline_card(owner, "reported by")
    nav(owner, "Inbox")
    expect(main(owner).locator("#inbox-list .card")).not_to_have_count(0)
    photograph(owner, screenshots / "inbox.png")
    follow(owner, re.compile("·"))
    nav(owner, "Items")
    follow(owner, re.compile("."), within="main .cards")
    nav(owner, "Contacts")
    follow(owner, re.compile("."), within="main .cards")
    go(owner, "/diary/brief/")
    reauthenticate_if_asked(owner)
    nav(owner, "Patterns")
    photograph(owner, screenshots / "patterns.png", full_page=True)
    nav(owner, "Checklist")
    nav(owner, "Settings")
    for page_path in ("/diary/sessions/", "/diary/access/", "/diary/withdrawn/"):
        go(owner, page_path)
    nav(owner, "Export")
    reauthenticate_if_asked(owner)
    press(owner, "Make the bundle")
    reauthenticate_if_asked(owner)
    download = main(owner).get_by_role("link", name=re.compile(r"^Download bundle \d+$"))
    expect(download).to_be_visible(timeout=120_000)  # made in the background
    with owner.expect_download() as download_info:
        download.click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        [pdf] = [name for name in archive.namelist() if name.endswith("chronology.pdf")]
        (tmp_path / "chronology.pdf").write_bytes(archive.read(pdf))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: `make` installs poppler-utils"
    first_page = ["-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(
        [pdftoppm, *first_page, tmp_path / "chronology.pdf", screenshots / "chronology-first-page"],
        check=True,
    )

    contact = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    contact.goto(f"/w/{token.group(1)}")
    arrive(contact)
    dismiss_quick_exit_note_if_shown(contact)
    expect(main(contact).get_by_role("heading", name="What to look out for")).to_be_visible()
    photograph(contact, screenshots / "witness-phone.png", height=1900)


# Each render of a job's progress the page shows (live.js replaces the section as the worker
# moves on): its words and its bar, recorded in the page as they come.
RECORD_JOB_RENDERS = """() => {
  window.jobRenders = [];
  const note = () => {
    const job = document.querySelector("main section.job");
    if (!job) { return; }
    const bar = job.querySelector("progress");
    const seen = { text: job.innerText, percent: bar ? bar.value : null };
    const last = window.jobRenders[window.jobRenders.length - 1];
    if (!last || last.text !== seen.text) { window.jobRenders.push(seen); }
  };
  note();
  new MutationObserver(note).observe(document.querySelector("main"),
    { childList: true, subtree: true, characterData: true });
}"""


def test_a_big_bundle_shows_its_progress_while_a_contact_sends_from_their_phone(
    app_server: LiveServer, phone: Page, new_context: Callable[..., BrowserContext], tmp_path: Path
):
    """1,000 entries: the owner, on her phone, asks for the bundle and watches it go stage by
    stage; her contact sends from their phone meanwhile, and is answered before it is done."""
    owner = phone
    email = new_email()
    sign_up(owner, email)
    link = invite(owner, name="Pat", relationship="Neighbour")
    app_server.manage(
        "shell",
        "--no-imports",
        "-c",
        f"from tests.big_diary import seed; seed(entries=1000, email={email!r}, existing=True)",
    )
    contact = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    contact.goto(link)
    arrive(contact)
    expect(contact).to_have_url(re.compile(r"/w/$"))

    nav(owner, "Export")
    reauthenticate_if_asked(owner)
    press(owner, "Make the bundle")
    reauthenticate_if_asked(owner)
    expect(owner).to_have_url(re.compile(r"/diary/jobs/[0-9a-f-]{36}/$"))
    job_api = "/api/jobs/" + owner.url.rstrip("/").rsplit("/", 1)[-1]
    owner.evaluate(RECORD_JOB_RENDERS)
    stage = main(owner).locator("section.job")
    expect(stage).to_contain_text(re.compile(r"step \d of 6: "), timeout=60_000)

    witness_sends(
        contact,
        what="The silver Focus again, parked at the end of Elm Road with its engine running.",
        words="Tell her I'm still here.",
        where="End of Elm Road",
        when=local_input(hours_ago=0.2),
    )
    expect(main(contact)).to_contain_text("Received")
    # The contact had their answer while the bundle was still being made.
    during = owner.request.get(job_api).json()
    assert during["state"] == "running", during
    assert during["export"] is None

    expect(main(owner)).to_contain_text("Bundle 1 is ready.", timeout=180_000)
    renders = owner.evaluate("() => window.jobRenders")
    stages = {found.group(1) for r in renders if (found := re.search(r"step (\d) of 6", r["text"]))}
    assert len(stages) >= 2, renders  # the words moved on, live, at least once
    percents = [r["percent"] for r in renders if r["percent"] is not None]
    assert percents == sorted(percents) and percents[0] < percents[-1], renders
    with owner.expect_download() as download_info:
        main(owner).get_by_role("link", name="Download bundle 1").click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path / "bundle")
    [verify] = (tmp_path / "bundle").rglob("verify.py")
    checked = subprocess.run(
        [sys.executable, "verify.py"],
        cwd=verify.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = owner.request.get(job_api).json()
    assert done["state"] == "done" and done["attempts"] == 1, done
