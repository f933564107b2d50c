"""Files that could call home: a document with an outside image, a PDF that opens a web address
or runs a script. Each is marked on its row, on the entry page and in the API, and the original
still downloads byte for byte. A zip bomb is checked within a bounded number of bytes."""

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from diary import messages
from diary.evidence import callhome
from diary.models import Evidence
from diary.records.services import entry_create
from tests.factories import entry_content

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OUTSIDE = "evil.example"


def docx(*, outside: bool) -> bytes:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + (
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/image" Target="http://{OUTSIDE}/t.png" TargetMode="External"/>'
            if outside
            else ""
        )
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>He left a note.</w:t></w:r></w:p></w:body></w:document>",
        )
        archive.writestr("word/_rels/document.xml.rels", rels)
    return buffer.getvalue()


def pdf(body: bytes) -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog " + body + b" >> endobj\ntrailer << >>\n%%EOF\n"


HOSTILE = {
    "note.docx": (docx(outside=True), "outside_link"),
    "open.pdf": (pdf(b"/OpenAction << /S /URI /URI (http://evil.example/) >>"), "opens_address"),
    "script.pdf": (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "script"),
}
HARMLESS = {"plain.docx": docx(outside=False), "plain.pdf": pdf(b"/Pages 2 0 R")}


def upload(api: Any, entry_id: int, name: str, data: bytes) -> Any:
    return api.post(
        f"/api/entries/{entry_id}/evidence/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_marked_and_its_original_kept(
    name: str, owner: Any, api: Any, owner_client: Any
) -> None:
    data, reason = HOSTILE[name]
    entry = entry_create(diary=owner.diary, actor=owner, content=entry_content())
    response = upload(api, entry.pk, name, data)
    assert response.status_code == 201, response.content
    assert response.json()["could_call_home"] is True
    assert reason in response.json()["call_home_reasons"]
    assert response.json()["original_url"]
    row = Evidence.objects.get(pk=response.json()["id"])
    assert reason in row.call_home.split(",")
    page = owner_client.get(f"/diary/entries/{entry.pk}/")
    assert str(messages.CALL_HOME_WARNING) in page.content.decode()
    original = api.get(response.json()["original_url"])
    assert b"".join(original.streaming_content) == data
    assert original["Content-Disposition"].startswith("attachment")
    assert original["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_a_harmless_file_is_not_marked(name: str, owner: Any, api: Any) -> None:
    entry = entry_create(diary=owner.diary, actor=owner, content=entry_content())
    response = upload(api, entry.pk, name, HARMLESS[name])
    assert response.status_code == 201, response.content
    assert response.json()["could_call_home"] is False
    assert Evidence.objects.get(pk=response.json()["id"]).call_home == ""


def test_a_zip_bomb_is_read_only_up_to_the_limit() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<a>" + b" " * 200_000_000 + b"</a>")
    verdict = callhome.check(bomb, DOCX, callhome.Budget(inflate_limit=4 * 1024 * 1024))
    assert verdict.inflated <= 4 * 1024 * 1024
    assert verdict.reasons == ("unchecked",)


def test_svg_and_html_are_looked_at_too() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x"/></svg>'
    html = b'<html><body><img src="http://evil.example/p.gif"><script>1</script></body></html>'
    assert callhome.check(io.BytesIO(svg), "image/svg+xml").reasons == ("outside_link",)
    assert callhome.check(io.BytesIO(html), "text/html").reasons == ("outside_link", "script")


def test_the_page_asks_before_downloading_a_hostile_original(
    owner: Any, api: Any, owner_client: Any
) -> None:
    data, _reason = HOSTILE["note.docx"]
    entry = entry_create(diary=owner.diary, actor=owner, content=entry_content())
    evidence_id = upload(api, entry.pk, "note.docx", data).json()["id"]
    first = owner_client.get(f"/diary/evidence/{evidence_id}/original", follow=True)
    assert first.redirect_chain == [(f"/diary/evidence/{evidence_id}/safe", 302)]
    assert str(messages.DOWNLOAD_ORIGINAL_ANYWAY) in first.content.decode()
    assert OUTSIDE not in first.content.decode()
    anyway = owner_client.post(f"/diary/evidence/{evidence_id}/original")
    assert b"".join(anyway.streaming_content) == data
    assert anyway["Content-Disposition"].startswith("attachment")
