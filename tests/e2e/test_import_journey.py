"""Bringing messages in from a phone's export, on the phone: a WhatsApp chat uploaded, read by
the worker, the sender chosen, his night of messages one card on the timeline, and the export
itself, byte for byte, in the bundle with each message's place in it."""

import csv
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import a11y
from tests.e2e.helpers import (
    arrive,
    follow,
    main,
    photograph,
    press,
    reauthenticate_if_asked,
    sign_up,
)
from tests.e2e.test_journeys import nav, new_email
from tests.imports.samples import whatsapp

# A UK Android phone: "31/12/2023, 21:03 - Bob: …".
SPELLING = whatsapp.BY_KEY["android-gb"]


# Bob's night of messages (tests/imports/samples/whatsapp.py), opening with a link to where she
# was: one long unbroken word, as a phone's map link is, that must wrap on a 360 px screen.
LINK = "https://maps.example.com/place/51.5072178,-0.1275862/data=!3m1!4b1!4m5!3m4!1s0x48761b3333"
CHAT = [
    *whatsapp.conversation()[:1],
    whatsapp.Sample("Bob", datetime(2023, 12, 31, 21, 2, 30), f"Found you {LINK}"),
    *whatsapp.conversation()[1:],
]


def plain(text: str) -> str:
    """Words as a page shows them: each run of spaces and line breaks as one space."""
    return " ".join(text.split())


def fits(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


def checked_as_it_is(page: Page) -> None:
    """The page as it is now (a job done, a card opened), checked as arrive() checks a page
    when it first loads."""
    fits(page)
    problems = a11y.check_page(page)
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)


def test_the_owner_brings_in_a_whatsapp_chat_on_her_phone_and_it_is_in_the_bundle(
    phone: Page, tmp_path: Path, screenshots: Path
):
    export = tmp_path / whatsapp.zip_name(SPELLING)
    expected = whatsapp.write_zip(export, SPELLING, samples=CHAT)
    bobs = [message for message in expected if message.sender == "Bob"]
    night = [message for message in bobs if message.when.day == 31]
    assert len(night) >= 3 and len(bobs) > len(night)  # a run, and messages outside it

    page = phone
    sign_up(page, new_email())
    nav(page, "Write it down")
    fits(page)
    follow(page, re.compile(r"^Bring in"))
    expect(main(page).get_by_role("heading", level=1)).to_have_text(
        "Bring in texts, e-mails and calls"
    )
    fits(page)
    form = main(page)
    form.get_by_label("The export").set_input_files(export)
    form.get_by_label("Where the phone was").select_option("Europe/London")
    form.get_by_text("Dates in a WhatsApp chat (optional)").click()
    form.get_by_label("How the chat writes dates").select_option(label="Day first (31/12/2024)")
    press(page, "Read the file")

    # Read in the background; the job's page says when it is done.
    expect(page).to_have_url(re.compile(r"/diary/jobs/[0-9a-f-]{36}/$"))
    expect(main(page)).to_contain_text("The file is read.", timeout=60_000)
    checked_as_it_is(page)
    follow(page, "Choose whose messages to bring in")
    expect(page).to_have_url(re.compile(r"/diary/import/[0-9a-f-]{36}/$"))
    fits(page)
    bob = main(page).locator("li.card").filter(has=page.get_by_label("Bob", exact=True))
    expect(bob).to_contain_text(f"{len(bobs)} messages")
    expect(bob).to_contain_text(plain(night[0].text))  # the first words, as a preview
    expect(main(page).get_by_label("Alice", exact=True)).not_to_be_checked()
    main(page).get_by_label("Bob", exact=True).check()
    photograph(page, screenshots / "import-choose-phone.png", full_page=True)
    press(page, "Add their messages")

    expect(page).to_have_url(re.compile(r"/diary/jobs/[0-9a-f-]{36}/$"))
    expect(main(page)).to_contain_text(f"{len(bobs)} messages added to your diary.", timeout=60_000)
    checked_as_it_is(page)
    follow(page, "See them in your timeline")

    # His night of messages is one card; the next day's stand alone.
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Timeline")
    fits(page)
    runs = main(page).locator("#timeline .card.run")
    expect(runs).to_have_count(1)
    run = runs.first
    expect(run.locator("summary")).to_contain_text(f"{len(night)} messages between")
    expect(run.locator("summary")).to_contain_text("31 Dec 2023, 21:02 and 21:10")
    inside = run.locator("details .card")
    expect(inside).to_have_count(len(night))
    expect(inside.first).to_be_hidden()
    run.locator("summary").click()
    expect(inside.first).to_be_visible()
    for message in night:
        if message.text:
            expect(run.locator("details")).to_contain_text(plain(message.text))
    checked_as_it_is(page)
    photograph(page, screenshots / "timeline-run-phone.png", full_page=True)
    standalone = main(page).locator("#timeline > ul > li.card:not(.run)")
    expect(standalone).to_have_count(len(bobs) - len(night))
    for message in bobs[len(night) :]:
        expect(standalone.filter(has_text=plain(message.text))).to_have_count(1)
    # A line separator in a message's words (U+2028) is a new line on the page, as it was on
    # the phone, not two words run together.
    [separated] = [message for message in bobs if "\u2028" in message.text]
    words = standalone.filter(has_text=plain(separated.text)).locator("blockquote")
    assert words.inner_text() == separated.text.replace("\u2028", "\n")
    # The message with the link, on its own page, fits the phone too.
    run.locator("details .card").filter(has_text=LINK).get_by_role("link").click()
    arrive(page)
    expect(main(page).locator("blockquote.words")).to_have_text(f"Found you {LINK}")
    fits(page)

    # The bundle keeps the export as it was and says where each message came from.
    nav(page, "Export")
    reauthenticate_if_asked(page)
    fits(page)
    press(page, "Make the bundle")
    reauthenticate_if_asked(page)
    expect(page).to_have_url(re.compile(r"/diary/jobs/[0-9a-f-]{36}/$"))
    expect(main(page)).to_contain_text("Bundle 1 is ready.", timeout=120_000)
    checked_as_it_is(page)
    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="Download bundle 1").click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    [verify] = folder.rglob("verify.py")
    root = verify.parent

    assert (root / "imports" / "import-001.zip").read_bytes() == export.read_bytes()
    with (root / "entries.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["Imported from"] for row in rows) == sorted(
        f"Import 1 (imports/import-001.zip, {export.name}), line {message.line}" for message in bobs
    )
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: `make` installs poppler-utils"
    pdf = subprocess.run(
        [pdftotext, root / "chronology.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    assert plain(pdf).count("Brought in from: Import 1") == len(bobs), pdf
    assert "“line one\nsame line, a separator”" in pdf, pdf
    checked = subprocess.run(
        [sys.executable, "verify.py"], cwd=root, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK"), checked.stdout
