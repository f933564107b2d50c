"""Files that call home, opened safely: a PDF that opens a web address as it opens and a Word
document with an outside picture, sent to the owner. Their safe view (the pages drawn on the
server as PNG images, or the words as plain text) names no outside address and makes a "home"
server on this machine hear nothing; the original's stored bytes stay as they were; nobody but
the owner reaches the safe view; and a PDF too long or too slow to draw is cut or refused with
a plain message, never a 500. Files kept before the check came in are read by a command."""

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from PIL import Image

from diary import messages
from diary.core import filestore
from diary.evidence import safeview
from diary.evidence.services import evidence_attach
from diary.models import Evidence
from diary.records.services import entry_create
from tests.conftest import confirmed
from tests.factories import OwnerFactory, entry_content, jpeg_bytes, pdf_pages, upload
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client
from witnesses.models import SubmissionFile
from witnesses.services.links import link_revoke

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = b"\x89PNG\r\n\x1a\n"


class Home:
    """A web server on this machine standing in for the sender's: it notes every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def home() -> Iterator[Home]:
    server = Home()
    yield server
    server.server.shutdown()
    server.server.server_close()


def hostile_pdf(home: Home, *lines: str) -> bytes:
    action = f"/OpenAction << /S /URI /URI ({home.url}/opened) >>".encode()
    return pdf_pages(*(lines or ("He left a note on the car",)), catalog=action)


def hostile_docx(home: Home, words: str = "He left a note on the car.") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{words}</w:t></w:r></w:p>"
            f'<w:p><w:r><w:fldSimple w:instr="INCLUDEPICTURE {home.url}/f.png"/></w:r></w:p>'
            "</w:body></w:document>",
        )
        archive.writestr(
            "word/_rels/document.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/image" Target="{home.url}/t.png" TargetMode="External"/>'
            "</Relationships>",
        )
    return buffer.getvalue()


def attach(owner: Any, name: str, data: bytes, content_type: str) -> Evidence:
    entry = entry_create(diary=owner.diary, actor=owner, content=entry_content())
    return evidence_attach(entry=entry, actor=owner, upload=upload(name, data, content_type))


def stored_hashes(kept: Any) -> tuple[str, str]:
    """The SHA-256 of the file as stored (ciphertext) and of its plaintext."""
    with default_storage.open(kept.original.name, "rb") as handle:
        at_rest = hashlib.sha256(handle.read()).hexdigest()
    return at_rest, filestore.sha256_of(kept.original.name, kept.original_key)


def page_body(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_pdf_that_opens_an_address_is_shown_as_pictures_of_its_pages(
    owner: Any, owner_client: Client, api: Any, home: Home
) -> None:
    data = hostile_pdf(home, "He left a note on the car", "Then he waited")
    evidence = attach(owner, "note.pdf", data, "application/pdf")
    before = stored_hashes(evidence)
    listed = api.get(f"/api/entries/{evidence.entry_id}/").json()["evidence"][0]
    assert listed["could_call_home"] is True
    assert listed["safe_view_url"] == f"/diary/evidence/{evidence.pk}/safe"

    # The entry page's link goes to the safe view, not to the original.
    entry_page = page_body(owner_client.get(f"/diary/entries/{evidence.entry_id}/"))
    assert f'href="/diary/evidence/{evidence.pk}/safe"' in entry_page
    assert f'href="/diary/evidence/{evidence.pk}/original"' not in entry_page
    assert str(messages.CALL_HOME_WARNING) in entry_page

    view = page_body(owner_client.get(listed["safe_view_url"]))
    assert home.url not in view and "127.0.0.1" not in view
    assert str(messages.CALL_HOME_ORIGINAL) in view
    assert str(messages.DOWNLOAD_ORIGINAL_ANYWAY) in view
    pages = [f"/diary/evidence/{evidence.pk}/safe/{n}.png" for n in (1, 2)]
    for url in pages:
        assert f'src="{url}"' in view
    for url in pages:
        drawn = owner_client.get(url)
        assert drawn.status_code == 200
        assert drawn["Content-Type"] == "image/png"
        assert drawn["Content-Disposition"].startswith("inline")
        assert "no-store" in drawn["Cache-Control"]
        assert drawn["Content-Security-Policy"].startswith("default-src 'none'")
        assert drawn.content.startswith(PNG)
        image = Image.open(io.BytesIO(drawn.content))
        assert max(image.size) <= safeview.PAGE_PIXELS
        # The words were drawn: the page is not blank.
        assert image.convert("L").getextrema()[0] < 128
    assert owner_client.get(f"/diary/evidence/{evidence.pk}/safe/3.png").status_code == 404

    assert home.hits == []
    assert stored_hashes(evidence) == before
    assert before[1] == evidence.sha256 == hashlib.sha256(data).hexdigest()
    # Asking for the original lands on the safe view; "Download anyway" gives the very bytes.
    first = owner_client.get(f"/diary/evidence/{evidence.pk}/original")
    assert first.status_code == 302 and first.url == listed["safe_view_url"]
    anyway = owner_client.post(f"/diary/evidence/{evidence.pk}/original")
    assert b"".join(anyway.streaming_content) == data


def test_a_document_with_an_outside_picture_is_shown_as_its_words(owner: Any, home: Home) -> None:
    _, token = make_witness(owner)
    device = device_of(witness_api_client(token))
    data = hostile_docx(home, "He left a note &lt;script&gt;alert(1)&lt;/script&gt; on the car.")
    submission = make_submission(device, uploads=[upload("note.docx", data, DOCX)])
    file = SubmissionFile.objects.get(submission=submission)
    assert "outside_link" in file.call_home_reasons
    before = stored_hashes(file)
    owner_client = Client()
    owner_client.force_login(owner)

    inbox = page_body(owner_client.get("/diary/inbox/"))
    assert f'href="/diary/inbox/files/{file.pk}/safe"' in inbox
    card = page_body(owner_client.get(f"/diary/inbox/{submission.pk}/"))
    assert f'href="/diary/inbox/files/{file.pk}/safe"' in card
    assert f'href="/diary/inbox/files/{file.pk}/original"' not in card

    view = page_body(owner_client.get(f"/diary/inbox/files/{file.pk}/safe"))
    assert f'href="/diary/inbox/{submission.pk}/"' in view
    assert "He left a note &lt;script&gt;alert(1)&lt;/script&gt; on the car." in view
    assert "<script>alert" not in view
    assert home.url not in view and "INCLUDEPICTURE" not in view and "<img" not in view
    listed = confirmed(owner_client).get("/api/inbox/").json()  # every report: confirmed
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["files"][0]["safe_view_url"] == f"/diary/inbox/files/{file.pk}/safe"
    # Accepted, it is evidence on an entry, reached through the entry's own gate.
    accepted = owner_client.post(f"/diary/inbox/{submission.pk}/accept/")
    assert accepted.status_code == 302, accepted.status_code
    evidence = Evidence.objects.get(diary=owner.diary)
    assert evidence.call_home == file.call_home and evidence.call_home_checked_at is not None
    entry_view = page_body(owner_client.get(f"/diary/evidence/{evidence.pk}/safe"))
    assert "He left a note &lt;script&gt;alert(1)&lt;/script&gt; on the car." in entry_view
    assert f'href="/diary/entries/{evidence.entry_id}/"' in entry_view
    assert home.hits == []
    assert stored_hashes(file) == before == (before[0], hashlib.sha256(data).hexdigest())


def test_only_the_owner_reaches_a_safe_view(owner: Any, home: Home) -> None:
    evidence = attach(owner, "note.pdf", hostile_pdf(home), "application/pdf")
    _, sender_token = make_witness(owner, sharing="all")
    sender_client = witness_api_client(sender_token)
    submission = make_submission(
        device_of(sender_client), uploads=[upload("n.pdf", hostile_pdf(home), "application/pdf")]
    )
    file = SubmissionFile.objects.get(submission=submission)
    urls = [
        f"/diary/evidence/{evidence.pk}/safe",
        f"/diary/evidence/{evidence.pk}/safe/1.png",
        f"/diary/inbox/files/{file.pk}/safe",
        f"/diary/inbox/files/{file.pk}/safe/1.png",
    ]
    outsider = OwnerFactory()
    outsider_client = Client()
    outsider_client.force_login(outsider)
    _, theirs = make_witness(outsider)
    their_witness = witness_api_client(theirs)
    revoked, revoked_token = make_witness(owner)
    revoked_client = witness_api_client(revoked_token)
    link_revoke(witness=revoked, actor=owner)
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
        for contact in (their_witness, revoked_client, sender_client, Client()):
            refused = contact.get(url)
            # A contact has no account: owner pages send them to sign in, and show nothing.
            assert refused.status_code == 302, url
            assert refused.url.startswith("/accounts/login/"), url
    assert home.hits == []


def test_a_long_pdf_is_cut_at_the_page_limit(owner: Any, owner_client: Client, home: Home) -> None:
    lines = [f"Page {n}" for n in range(1, safeview.PAGE_LIMIT + 3)]
    evidence = attach(owner, "long.pdf", hostile_pdf(home, *lines), "application/pdf")
    view = page_body(owner_client.get(f"/diary/evidence/{evidence.pk}/safe"))
    cut = messages.SAFE_VIEW_PAGES_CUT % {"shown": safeview.PAGE_LIMIT, "count": len(lines)}
    assert str(cut) in view
    assert view.count('class="safe-pages"') == 1
    assert view.count("/safe/") == safeview.PAGE_LIMIT
    beyond = f"/diary/evidence/{evidence.pk}/safe/{safeview.PAGE_LIMIT + 1}.png"
    assert owner_client.get(beyond).status_code == 404
    assert home.hits == []


def test_a_pdf_too_slow_to_draw_gets_a_plain_message(
    owner: Any, owner_client: Client, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = attach(owner, "slow.pdf", hostile_pdf(home), "application/pdf")
    monkeypatch.setattr(safeview, "DRAW_SECONDS", 0.000001)
    view = page_body(owner_client.get(f"/diary/evidence/{evidence.pk}/safe"))
    assert str(messages.SAFE_VIEW_CANNOT_DRAW) in view
    assert str(messages.DOWNLOAD_ORIGINAL_ANYWAY) in view
    assert owner_client.get(f"/diary/evidence/{evidence.pk}/safe/1.png").status_code == 404


def test_a_damaged_pdf_gets_a_plain_message(owner: Any, owner_client: Client) -> None:
    damaged = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /URI /URI (http://x.example/) >> >>\n"
    evidence = attach(owner, "bad.pdf", damaged, "application/pdf")
    assert evidence.could_call_home
    view = page_body(owner_client.get(f"/diary/evidence/{evidence.pk}/safe"))
    assert str(messages.SAFE_VIEW_CANNOT_DRAW) in view
    assert owner_client.get(f"/diary/evidence/{evidence.pk}/safe/1.png").status_code == 404


def test_a_photo_has_no_safe_view_link(owner: Any, owner_client: Client) -> None:
    evidence = attach(owner, "p.jpg", jpeg_bytes(), "image/jpeg")
    entry_page = page_body(owner_client.get(f"/diary/entries/{evidence.entry_id}/"))
    assert "/safe" not in entry_page
    view = page_body(owner_client.get(f"/diary/evidence/{evidence.pk}/safe"))
    assert str(messages.SAFE_VIEW_NONE) in view


def test_files_kept_before_the_check_are_read_by_a_command(owner: Any, home: Home) -> None:
    docx = attach(owner, "note.docx", hostile_docx(home), DOCX)
    pdf = attach(owner, "open.pdf", hostile_pdf(home), "application/pdf")
    photo = attach(owner, "p.jpg", jpeg_bytes(), "image/jpeg")
    gone = attach(owner, "gone.pdf", pdf_pages("plain"), "application/pdf")
    _, token = make_witness(owner)
    submission = make_submission(
        device_of(witness_api_client(token)), uploads=[upload("n.docx", hostile_docx(home), DOCX)]
    )
    sent = SubmissionFile.objects.get(submission=submission)
    # As an upgrade finds them: kept before intake looked.
    Evidence.objects.update(call_home="", call_home_checked_at=None)
    SubmissionFile.objects.update(call_home="", call_home_checked_at=None)
    default_storage.delete(gone.original.name)
    out = io.StringIO()
    call_command("check_call_home", batch_size=2, stdout=out)
    assert "Checked 5 files: 4 could call home." in out.getvalue()
    assert "1 could not be read" in out.getvalue()

    def read(model: Any, pk: int) -> Any:
        return model.objects.get(pk=pk)

    assert read(Evidence, docx.pk).call_home == "outside_link"
    assert read(Evidence, pdf.pk).call_home == "opens_address"
    assert read(Evidence, photo.pk).call_home == ""
    assert read(Evidence, gone.pk).call_home == "unchecked"
    assert read(SubmissionFile, sent.pk).call_home == "outside_link"
    for row in [*Evidence.objects.all(), *SubmissionFile.objects.all()]:
        assert row.call_home_checked_at is not None
    again = io.StringIO()
    call_command("check_call_home", stdout=again)
    assert "Checked 0 files: 0 could call home." in again.getvalue()
    assert home.hits == []
