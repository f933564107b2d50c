"""Record now (record.js, tus.js), in Debian's Chromium with its fake camera and microphone: the
owner and a contact record sound and video on the page; the pieces reach the server as they
are made; a recording whose page is closed with the signal gone is on the server up to its last
piece, hashed, and shown as cut off, with nobody doing anything (tend_jobs, beside the server,
keeps it once it has been quiet for RECORDING_QUIET_SECONDS). What the server holds is read
from its own database."""

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_ENV, PHONE, Watch
from tests.e2e.helpers import arrive, go, main, quick_capture, sign_in, sign_up
from tests.e2e.server import LiveServer
from tests.e2e.test_journeys import local_input

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

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

# Every upload of the diary whose owner has this address, as the server finished it.
FINISHED = """
import json
from diary.core import filestore
from diary.models import Evidence, UploadFinish
from witnesses.models import SubmissionFile
out = []
for finish in UploadFinish.objects.filter({where}).order_by("pk"):
    label, pk = finish.result.rsplit(":", 1)
    model = Evidence if label == "diary.evidence" else SubmissionFile
    kept = model.objects.get(pk=pk)
    out.append({{
        "outcome": finish.outcome,
        "media": finish.media,
        "pieces": len(finish.pieces),
        "sha256": finish.sha256,
        "kept_sha256": kept.sha256,
        "stored_sha256": filestore.sha256_of(kept.original.name, kept.original_key),
        "kind": kept.kind,
        "cut_off_after": finish.cut_off_after.total_seconds() if finish.cut_off_after else None,
    }})
print(json.dumps(out))
"""


def shell(server: LiveServer, code: str) -> str:
    return server.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def finished(server: LiveServer, where: str) -> list[dict[str, Any]]:
    return json.loads(shell(server, FINISHED.format(where=where)))


@pytest.fixture(scope="module")
def media_browser(browser_type: Any) -> Iterator[Browser]:
    """Chromium with a fake camera and microphone, which answer every request for them."""
    browser = browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *FAKE_MEDIA],
        env={**os.environ, **CHROMIUM_ENV},
        headless=True,
    )
    yield browser
    browser.close()


@pytest.fixture
def phone_with_camera(
    media_browser: Browser, watch: Watch, app_server: LiveServer
) -> Callable[[], Page]:
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = media_browser.new_context(
            base_url=app_server.url,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="en-GB",
            timezone_id="Europe/London",
            permissions=["camera", "microphone"],
        )
        watch.guard(context)
        contexts.append(context)
        page = context.new_page()
        watch._watch_page(page)
        return page

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):  # a journey may have closed it already
            context.close()


def recorder(page: Page):
    return page.locator("[data-recorder]")


def record(page: Page, what: str, *, seconds_on_server: int = 4) -> None:
    """Start recording, and wait until the server says it holds a few seconds of it."""
    section = recorder(page)
    expect(section).to_be_visible()
    section.get_by_role("button", name=what).click()
    expect(section.locator("[data-time]")).to_be_visible()
    expect(section.locator("[data-status]")).to_contain_text(
        re.compile(rf"On the server up to 00:0[{seconds_on_server}-9]"), timeout=30_000
    )


def stop_and_see(page: Page) -> None:
    section = recorder(page)
    section.get_by_role("button", name="Stop").click()
    expect(section.locator("[data-status]")).to_contain_text("Kept.", timeout=30_000)
    section.locator("[data-status]").get_by_role("link", name="See it").click()
    arrive(page)


def owner_signed_up(page: Page) -> str:
    email = f"rec-{secrets.token_hex(4)}@example.org"
    sign_up(page, email)
    return email


def where_owner(email: str) -> str:
    return f'diary__owner__email="{email}"'


def test_the_owner_records_sound_and_video_and_each_is_kept_with_its_hash(
    app_server: LiveServer, phone_with_camera, screenshots: Path
):
    page = phone_with_camera()
    email = owner_signed_up(page)
    go(page, "/diary/capture/")
    recorder(page).screenshot(path=screenshots / "record-now-phone.png")
    record(page, "Record sound")
    recorder(page).screenshot(path=screenshots / "recording-phone.png")
    stop_and_see(page)
    expect(main(page)).to_contain_text("A sound recording made on this page.")
    expect(main(page)).to_contain_text("Audio")
    entry_url = page.url

    # A video onto the entry she is looking at; its preview is muted: the page never plays
    # sound while it records.
    record(page, "Record video")
    assert recorder(page).locator("[data-preview]").evaluate("video => video.muted") is True
    recorder(page).screenshot(path=screenshots / "recording-video-phone.png")
    stop_and_see(page)
    assert page.url == entry_url
    expect(main(page).locator(".evidence li")).to_have_count(2)
    expect(main(page)).to_contain_text("Video")

    kept = finished(app_server, where_owner(email))
    assert [k["media"] for k in kept] == ["audio", "video"]
    for one in kept:
        assert one["outcome"] == "complete"
        assert one["pieces"] >= 2  # it went in pieces, while it was recorded
        assert one["sha256"] == one["kept_sha256"] == one["stored_sha256"]
    assert [k["kind"] for k in kept] == ["audio", "video"]


def test_a_contact_records_video_and_it_goes_with_what_they_sent(
    app_server: LiveServer, phone_with_camera
):
    token = shell(app_server, NEW_CONTACT)
    page = phone_with_camera()
    go(page, f"/w/{token}")
    record(page, "Record video")
    stop_and_see(page)
    expect(page).to_have_url(re.compile(r"/w/sent/"))
    expect(main(page)).to_contain_text("A video made on this page.")
    kept = finished(
        app_server,
        f'upload__contact_device__in=__import__("witnesses.models").models.WitnessDevice.objects'
        f'.filter(link__token_sha256=__import__("witnesses.services.links").services.links'
        f'.token_sha256("{token}")).values("pk")',
    )
    assert len(kept) == 1
    assert kept[0]["outcome"] == "complete" and kept[0]["kind"] == "video"
    assert kept[0]["sha256"] == kept[0]["kept_sha256"] == kept[0]["stored_sha256"]


def test_a_contact_records_sound(app_server: LiveServer, phone_with_camera):
    token = shell(app_server, NEW_CONTACT)
    page = phone_with_camera()
    go(page, f"/w/{token}")
    record(page, "Record sound", seconds_on_server=3)
    stop_and_see(page)
    expect(main(page)).to_contain_text("A sound recording made on this page.")


def test_a_recording_whose_phone_goes_is_kept_up_to_its_last_piece_as_cut_off(
    app_server: LiveServer, phone_with_camera, screenshots: Path
):
    page = phone_with_camera()
    email = owner_signed_up(page)
    go(page, "/diary/capture/")
    record(page, "Record video", seconds_on_server=6)
    # The signal goes, then the page: nothing more ever reaches the server, and no Stop.
    page.context.set_offline(True)
    page.context.close()

    # Nobody does anything: tend_jobs, beside the server, keeps it once it has gone quiet.
    kept: list[dict[str, Any]] = []
    reader = phone_with_camera()
    for _ in range(60):
        kept = finished(app_server, where_owner(email))
        if kept:
            break
        reader.wait_for_timeout(1000)  # waiting on the server's tending, not a timing assertion
    assert len(kept) == 1, "the recording was not kept after it went quiet"
    cut = kept[0]
    assert cut["outcome"] == "cut_off"
    assert cut["pieces"] >= 2
    assert cut["sha256"] == cut["kept_sha256"] == cut["stored_sha256"]
    assert cut["cut_off_after"] >= 6

    # She sees it in her timeline, and on its entry, marked as cut off.
    sign_in(reader, email)
    go(reader, "/diary/")
    expect(main(reader)).to_contain_text("Recording cut off at 00:")
    main(reader).locator(".card h2 a").first.click()
    arrive(reader)
    expect(main(reader)).to_contain_text(re.compile(r"Recording cut off at 00:\d\d\."))
    reader.set_viewport_size(PHONE)
    main(reader).locator(".evidence").screenshot(path=screenshots / "recording-cut-off-phone.png")


def test_a_recording_through_a_lost_signal_carries_on_when_it_is_back(
    app_server: LiveServer, phone_with_camera
):
    page = phone_with_camera()
    email = owner_signed_up(page)
    go(page, "/diary/capture/")
    record(page, "Record sound", seconds_on_server=3)
    page.context.set_offline(True)
    status = recorder(page).locator("[data-status]")
    expect(status).to_contain_text("No signal", timeout=30_000)
    page.context.set_offline(False)
    expect(status).to_contain_text("On the server up to", timeout=30_000)
    stop_and_see(page)
    kept = finished(app_server, where_owner(email))
    assert len(kept) == 1 and kept[0]["outcome"] == "complete"
    assert kept[0]["sha256"] == kept[0]["stored_sha256"]


def test_the_owner_takes_a_photo_on_the_page(app_server: LiveServer, phone_with_camera):
    page = phone_with_camera()
    email = owner_signed_up(page)
    go(page, "/diary/capture/")
    section = recorder(page)
    section.get_by_role("button", name="Take a photo").click()
    expect(section.locator("[data-preview]")).to_be_visible()
    section.get_by_role("button", name="Take the photo").click()
    expect(section.locator("[data-status]")).to_contain_text("Kept.", timeout=30_000)
    section.locator("[data-status]").get_by_role("link", name="See it").click()
    arrive(page)
    expect(main(page)).to_contain_text("A photo taken on this page.")
    kept = finished(app_server, where_owner(email))
    assert len(kept) == 1 and kept[0]["media"] == "photo" and kept[0]["kind"] == "photo"
    assert kept[0]["sha256"] == kept[0]["kept_sha256"] == kept[0]["stored_sha256"]


def test_add_files_goes_in_pieces_with_its_progress_and_carries_on_after_a_drop(
    app_server: LiveServer, phone_with_camera, tmp_path, screenshots: Path
):
    page = phone_with_camera()
    email = owner_signed_up(page)
    entry_url = quick_capture(page, what="A parcel on the step.", when=local_input(hours_ago=1))
    # A video of about 9 MB: three pieces.
    video = tmp_path / "doorbell.mp4"
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    body = os.urandom(9 * 1024 * 1024)
    video.write_bytes(ftyp + (len(body) + 8).to_bytes(4, "big") + b"mdat" + body)
    go(page, entry_url + "evidence/")
    form = main(page).locator("form[data-resumable]")
    expect(form).to_contain_text("keep this page open")
    form.get_by_label("Files").set_input_files(video)
    # The first piece is cut off on its way: the page carries on from where the server is.
    dropped: list[str] = []

    def drop_once(route):
        if route.request.method == "PATCH" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/diary/uploads/**", drop_once)
    form.get_by_role("button", name="Add").click()
    expect(form.locator("progress")).to_be_visible()
    form.screenshot(path=screenshots / "add-files-progress-phone.png")
    expect(page).to_have_url(entry_url, timeout=60_000)
    arrive(page)
    assert dropped
    expect(main(page)).to_contain_text("Video")
    kept = finished(app_server, where_owner(email))
    assert len(kept) == 1 and kept[0]["pieces"] == 3
    assert kept[0]["sha256"] == kept[0]["kept_sha256"] == kept[0]["stored_sha256"]
    assert kept[0]["sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
