"""The permission matrix: every URL pattern of the project, against every kind of actor.

The URL patterns come from the resolver, so a new URL without a case here fails
`test_every_url_pattern_has_a_case`. For each pattern and actor the test asserts that the
allowed actors get through, that everyone else is refused (404, 403, 401 or a redirect to sign
in), that a refused request changed nothing, and that no refused response (nor an answer scoped
to someone's own data) contains any of this diary's protected text.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from diary.bundle.services import export_create
from diary.core.crypto import stored_key
from diary.evidence.services import evidence_attach
from diary.jobs.services import job_request
from diary.models import AccessEvent, Job, LedgerRecord, OwnerSession, PendingImport
from diary.person.services import person_update
from diary.risk.questions import QUESTIONS
from diary.risk.services import risk_checklist_complete
from diary.safety.services import access_event_record
from diary.uploads.services import upload_create
from tests.conftest import confirmed
from tests.factories import (
    OwnerFactory,
    jpeg_bytes,
    make_entry,
    make_item,
    mp3_bytes,
    pdf_pages,
    upload,
)
from witnesses.models import Submission, SubmissionFile, WitnessLink
from witnesses.selectors import witness_actor
from witnesses.services.brief import brief_update
from witnesses.services.links import link_revoke, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import submission_create

pytestmark = pytest.mark.django_db

MARKERS = (
    "MARKER-PRIVATE-ENTRY",
    "MARKER-SHARED-ENTRY",
    "MARKER-ITEM",
    "MARKER-BRIEF",
    "MARKER-SUBMISSION",
    "MARKER-NAME",
    "MARKER-PERSON",
    "owner-secret@example.com",
)

OWNER = "owner"
OTHER_OWNER = "other_owner"
ANONYMOUS = "anonymous"
W_BRIEF = "witness_brief"
W_MARKED = "witness_marked"
W_ALL = "witness_all"
OTHER_WITNESS = "other_diarys_witness"
REVOKED = "revoked_witness"
EXPIRED = "expired_witness"
WITNESSES = {W_BRIEF, W_MARKED, W_ALL}
# The owner goes last, so nothing the owner is allowed to change affects the others' answers.
ACTORS = (ANONYMOUS, OTHER_OWNER, OTHER_WITNESS, REVOKED, EXPIRED, W_BRIEF, W_MARKED, W_ALL, OWNER)


@dataclass
class World:
    clients: dict[str, Client]
    ids: dict[str, Any] = field(default_factory=dict)

    def ledger_count(self) -> int:
        return LedgerRecord.objects.filter(diary_id=self.ids["diary"]).count()


def _witness_client(owner: Any, name: str, **options: Any) -> tuple[Any, Client]:
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name=name, relationship="friend", **options
    )
    client = Client()
    assert client.get(f"/w/{token}").status_code == 302
    return witness, client


@pytest.fixture
def world() -> World:
    owner = OwnerFactory(email="owner-secret@example.com")
    other = OwnerFactory()
    private = make_entry(owner, what_happened="MARKER-PRIVATE-ENTRY")
    shared = make_entry(owner, what_happened="MARKER-SHARED-ENTRY")
    entry_share(entry=shared, actor=owner)
    evidence = evidence_attach(entry=private, actor=owner, upload=upload())
    document = upload("note.pdf", pdf_pages("MARKER-PRIVATE-ENTRY"), "application/pdf")
    pdf_evidence = evidence_attach(entry=private, actor=owner, upload=document)
    recording = upload("voicemail.mp3", mp3_bytes(), "audio/mpeg")
    audio_evidence = evidence_attach(entry=private, actor=owner, upload=recording)
    item = make_item(owner, description="MARKER-ITEM")
    checklist = risk_checklist_complete(
        diary=owner.diary, actor=owner, answers={q.code: q.choices[-1][0] for q in QUESTIONS}
    )
    person_update(
        diary=owner.diary,
        actor=owner,
        content={"name": "MARKER-PERSON", "vehicles": "MARKER-PERSON car"},
        photo=upload("them.jpg", jpeg_bytes()),
    )
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={"person": "MARKER-BRIEF", "vehicles": "", "places": "", "what_to_record": ""},
        photo=upload("him.jpg", jpeg_bytes()),
    )
    w_brief, brief_client = _witness_client(owner, "MARKER-NAME-1")
    _, marked_client = _witness_client(owner, "MARKER-NAME-2", sharing="marked", sees_photo=True)
    w_all, all_client = _witness_client(owner, "MARKER-NAME-3", sharing="all")
    revoked, revoked_client = _witness_client(owner, "MARKER-NAME-4")
    link_revoke(witness=revoked, actor=owner)
    expired, expired_client = _witness_client(owner, "MARKER-NAME-5")
    WitnessLink.objects.filter(witness=expired).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    submission = submission_create(
        device=witness_actor(all_client.cookies["w"].value),
        content={
            "kind": "saw",
            "occurred_start": timezone.now() - timedelta(hours=1),
            "what_happened": "MARKER-SUBMISSION",
        },
        uploads=[
            upload("seen.jpg", jpeg_bytes()),
            upload("seen.pdf", pdf_pages("MARKER-SUBMISSION"), "application/pdf"),
            upload("heard.mp3", mp3_bytes(), "audio/mpeg"),
        ],
    )
    export = export_create(diary=owner.diary, actor=owner)
    # Waiting for a worker (the test's transaction never commits to hand it over).
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    # An export read and waiting for her to choose from it.
    pending = PendingImport.objects.create(
        diary=owner.diary,
        file_name="WhatsApp Chat with MARKER-NAME-9.txt",
        size=1,
        format="whatsapp",
        parties=[{"party": "MARKER-NAME-9", "name": "", "count": 1, "already": 0}],
    )
    # A notice on every page of hers until she has seen it (an address added).
    notice = access_event_record(
        user_id=owner.pk, kind=AccessEvent.Kind.EMAIL_ADDED, detail="new@example.net"
    )
    assert notice is not None
    # A recording of hers under way, and one of a contact's (diary/uploads/).
    owners_upload = upload_create(
        diary=owner.diary, party="owner", kind="recording", media="audio", made_by=owner
    )
    contacts_upload = upload_create(
        diary=owner.diary,
        party="contact",
        kind="recording",
        media="audio",
        contact_device=witness_actor(all_client.cookies["w"].value).pk,
    )
    other_make = make_entry(other, what_happened="their own")
    _, other_witness_client = _witness_client(other, "Someone else")

    owner_client, other_client, owners_phone = Client(), Client(), Client()
    owner_client.force_login(owner)
    # Both owners confirmed it is them a moment ago, as exports, the API's entries and the
    # rest require (tests/security/test_quiet_sabotage.py holds the refusals).
    confirmed(owner_client)
    other_client.force_login(other)
    confirmed(other_client)
    owners_phone.force_login(owner)
    # Her upload goes on only in the session that started it (tests/security/
    # test_capture_attacks.py): that is her client's here.
    owners_upload.owner_session = OwnerSession.objects.get(
        session_key=stored_key(owner_client.session.session_key)
    )
    owners_upload.save(update_fields=["owner_session"])
    return World(
        clients={
            OWNER: owner_client,
            OTHER_OWNER: other_client,
            ANONYMOUS: Client(),
            W_BRIEF: brief_client,
            W_MARKED: marked_client,
            W_ALL: all_client,
            OTHER_WITNESS: other_witness_client,
            REVOKED: revoked_client,
            EXPIRED: expired_client,
        },
        ids={
            "diary": owner.diary.pk,
            "entry_id": private.pk,
            "shared_entry_id": shared.pk,
            "evidence_id": evidence.pk,
            "item_id": item.pk,
            "witness_id": w_brief.pk,
            "submission_id": submission.pk,
            "reference": submission.reference,
            "file_id": SubmissionFile.objects.get(submission=submission, extension=".jpg").pk,
            "pdf_file_id": SubmissionFile.objects.get(submission=submission, extension=".pdf").pk,
            "audio_file_id": SubmissionFile.objects.get(submission=submission, extension=".mp3").pk,
            "pdf_evidence_id": pdf_evidence.pk,
            "audio_evidence_id": audio_evidence.pk,
            "other_entry": other_make.pk,
            "export_id": export.pk,
            "job_id": job.pk,
            "pending_id": pending.pk,
            "upload_id": owners_upload.pk,
            "contacts_upload_id": contacts_upload.pk,
            "event_id": notice.pk,
            "risk_id": checklist.pk,
            "w_all": w_all.pk,
            "session_id": OwnerSession.objects.get(
                session_key=stored_key(owners_phone.session.session_key)
            ).pk,
        },
    )


@dataclass(frozen=True)
class Case:
    """How to call one URL pattern, who may, and who gets an answer about their own data."""

    method: str
    kwargs: Callable[[World], dict[str, Any]] = lambda world: {}
    allowed: frozenset[str] = frozenset()
    own_scope: frozenset[str] = frozenset()
    public: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def ids(*names: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {name: world.ids[name] for name in names}


def owner_only(method: str = "get", *names: str, scoped: bool = False, **data: Any) -> Case:
    return Case(
        method=method,
        kwargs=ids(*names),
        allowed=frozenset({OWNER}),
        own_scope=frozenset({OTHER_OWNER}) if scoped else frozenset(),
        data=data,
    )


def owner_only_as(**kwargs: str | int) -> Case:
    """A GET only the owner may make, with URL kwargs named differently from the world's ids
    (a string names one of them; a number is passed as it is)."""
    return Case(
        method="get",
        kwargs=lambda world: {
            name: world.ids[value] if isinstance(value, str) else value
            for name, value in kwargs.items()
        },
        allowed=frozenset({OWNER}),
    )


def public(method: str = "get", kwargs: Callable[[World], dict[str, Any]] | None = None) -> Case:
    return Case(method=method, kwargs=kwargs or (lambda world: {}), public=True)


def witnesses_only(
    method: str = "get",
    allowed: set[str] = WITNESSES,
    kwargs: Callable[[World], dict[str, Any]] | None = None,
    **data: Any,
) -> Case:
    return Case(
        method=method,
        kwargs=kwargs or (lambda world: {}),
        allowed=frozenset(allowed),
        own_scope=frozenset({OTHER_WITNESS}) if allowed == WITNESSES else frozenset(),
        data=data,
    )


TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def tus(method: str, allowed: set[str], kwargs: Callable[[World], dict[str, Any]]) -> Case:
    """A tus request (diary/uploads/): a HEAD of an upload, or a POST that starts one (a
    recording: its length comes later)."""
    headers = {**TUS, "HTTP_UPLOAD_DEFER_LENGTH": "1", "HTTP_UPLOAD_METADATA": "media YXVkaW8="}
    return Case(
        method=method,
        kwargs=kwargs,
        allowed=frozenset(allowed),
        # Another owner starts her own upload; another diary's contact theirs.
        own_scope=frozenset({OTHER_OWNER if OWNER in allowed else OTHER_WITNESS})
        if method == "post"
        else frozenset(),
        headers=headers if method == "post" else TUS,
    )


ENTRY = ("entry_id",)
CASES: dict[str, Case] = {
    "home": public(),
    "signing_keys": public(),
    "verify": public(),
    "verifier": public(kwargs=lambda world: {"name": "verify.py"}),
    "diary:timeline": owner_only(scoped=True),
    "diary:head": owner_only(scoped=True),
    "diary:head_download": owner_only(scoped=True),
    "diary:capture": owner_only(scoped=True),
    "diary:withdrawn": owner_only(scoped=True),
    "diary:entry_new": owner_only(scoped=True),
    "diary:entry": owner_only("get", *ENTRY),
    "diary:entry_amend": owner_only("post", *ENTRY, what_happened="changed"),
    "diary:entry_withdraw": owner_only("post", *ENTRY, reason="gone"),
    "diary:evidence_add": owner_only("get", *ENTRY),
    "diary:evidence_original": owner_only("get", "evidence_id"),
    "diary:evidence_preview": owner_only("get", "evidence_id"),
    "diary:evidence_media": owner_only_as(evidence_id="audio_evidence_id"),
    "diary:evidence_kind": owner_only("post", "evidence_id", kind="screenshot"),
    "diary:evidence_safe": owner_only_as(evidence_id="pdf_evidence_id"),
    "diary:evidence_safe_page": owner_only_as(evidence_id="pdf_evidence_id", number=1),
    "diary:items": owner_only(scoped=True),
    "diary:item_new": owner_only(scoped=True),
    "diary:item": owner_only("get", "item_id"),
    "diary:item_amend": owner_only("post", "item_id", description="changed"),
    "diary:settings": owner_only(scoped=True),
    "diary:risk": owner_only(scoped=True),
    "diary:risk_checklist": owner_only("get", "risk_id"),
    "diary:patterns": owner_only(scoped=True),
    "diary:exports": owner_only(scoped=True),
    "diary:export_download": owner_only("get", "export_id"),
    "diary:job": owner_only("get", "job_id"),
    "diary:import": owner_only(scoped=True),
    "diary:import_choose": owner_only("get", "pending_id"),
    "diary:records_check": owner_only("post", scoped=True),
    "diary:welcome": owner_only(scoped=True),
    "diary:sessions": owner_only(scoped=True),
    "diary:session_end": owner_only("post", "session_id"),
    "diary:sessions_end_others": owner_only("post", scoped=True),
    "diary:access_log": owner_only(scoped=True),
    "diary:lockout": owner_only(scoped=True),
    "diary:access_notice_seen": owner_only("post", "event_id"),
    "diary:person": owner_only(scoped=True),
    "diary:person_photo": owner_only(),
    # Anyone may say they have read the quick exit's note: it changes nothing of anyone's data.
    "quick_exit_seen": public("post"),
    # Anyone may leave: it ends only the caller's own session, and says nothing.
    "leave": public("post"),
    "witness:leave": public("post"),
    "witnesses:contacts": owner_only(scoped=True),
    "witnesses:contact_new": owner_only(scoped=True),
    "witnesses:contact": owner_only("get", "witness_id"),
    "witnesses:contact_link": owner_only("get", "witness_id"),
    "witnesses:contact_sharing": owner_only("post", "witness_id", sharing="all"),
    "witnesses:contact_extend": owner_only("post", "witness_id"),
    "witnesses:contact_revoke": owner_only("post", "witness_id"),
    "witnesses:contact_reissue": owner_only("post", "witness_id"),
    "witnesses:brief": owner_only(scoped=True),
    "witnesses:brief_photo": owner_only(),
    "witnesses:inbox": owner_only(scoped=True),
    "witnesses:submission": owner_only("get", "submission_id"),
    "witnesses:accept": owner_only("post", "submission_id"),
    "witnesses:keep_aside": owner_only("post", "submission_id", reason="aside"),
    "witnesses:file_original": owner_only("get", "file_id"),
    "witnesses:file_preview": owner_only("get", "file_id"),
    "witnesses:file_safe": owner_only_as(file_id="pdf_file_id"),
    "witnesses:file_media": owner_only_as(file_id="audio_file_id"),
    "witnesses:file_safe_page": owner_only_as(file_id="pdf_file_id", number=1),
    "witnesses:shared": owner_only(scoped=True),
    "witnesses:share_toggle": owner_only("post", *ENTRY, share="1"),
    "witness:home": witnesses_only(),
    "witness:receipt": witnesses_only(
        "get", {W_ALL}, kwargs=lambda world: {"reference": world.ids["reference"]}
    ),
    "witness:receipt_file": witnesses_only(
        "get", {W_ALL}, kwargs=lambda world: {"reference": world.ids["reference"]}
    ),
    "witness:brief_photo": witnesses_only("get", {W_MARKED}),
    "witness:keep": witnesses_only("post", keep="on"),
    "diary:uploads": tus("post", {OWNER}, lambda world: {}),
    "diary:upload": tus("head", {OWNER}, ids("upload_id")),
    "witness:uploads": tus("post", WITNESSES, lambda world: {}),
    "witness:upload": tus(
        "head", {W_ALL}, lambda world: {"upload_id": world.ids["contacts_upload_id"]}
    ),
    # An unknown token: the same neutral page for everyone.
    "witness:open": public(kwargs=lambda world: {"token": "x" * 43}),
    "api:schema": public(),
    "api:docs": public(),
    "api:entries": owner_only(scoped=True),
    "api:entry": owner_only("get", *ENTRY),
    "api:entry_versions": owner_only("post", *ENTRY, what_happened="changed"),
    "api:entry_withdraw": owner_only("post", *ENTRY, reason="gone"),
    "api:entry_evidence": owner_only("post", *ENTRY),
    "api:evidence_original": owner_only("get", "evidence_id"),
    "api:evidence_kind": owner_only("post", "evidence_id", kind="screenshot"),
    "api:items": owner_only(scoped=True),
    "api:item": owner_only("get", "item_id"),
    "api:item_versions": owner_only("post", "item_id", description="changed"),
    "api:exports": owner_only(scoped=True),
    "api:export_download": owner_only("get", "export_id"),
    "api:job": owner_only("get", "job_id"),
    "api:ledger": owner_only(scoped=True),
    "api:ledger_verify": owner_only(scoped=True),
    "api:ledger_head": owner_only(scoped=True),
    "witnesses_api:witnesses": owner_only(scoped=True),
    "witnesses_api:witness": owner_only("get", "witness_id"),
    "witnesses_api:witness_revoke": owner_only("post", "witness_id"),
    "witnesses_api:witness_reissue": owner_only("post", "witness_id"),
    "witnesses_api:witness_extend": owner_only("post", "witness_id"),
    "witnesses_api:witness_sharing": owner_only("post", "witness_id", sharing="all"),
    "witnesses_api:brief": owner_only(scoped=True),
    "witnesses_api:inbox": owner_only(scoped=True),
    "witnesses_api:inbox_accept": owner_only("post", "submission_id"),
    "witnesses_api:inbox_hide": owner_only("post", "submission_id", reason="aside"),
    "witnesses_api:witness_brief": witnesses_only(),
    "witnesses_api:witness_timeline": witnesses_only(),
    "witnesses_api:witness_earlier": witnesses_only(),
    "witnesses_api:witness_leave": witnesses_only("post"),
    "witnesses_api:witness_submissions": witnesses_only(),
    "witnesses_api:witness_follow_ups": witnesses_only(
        "post", {W_ALL}, kwargs=lambda world: {"reference": world.ids["reference"]}, text="more"
    ),
}


def _allauth_kwargs(name: str) -> dict[str, Any]:
    # Every parameter of the full route, its including patterns' too (allauth nests `<pk>`).
    possibilities = get_resolver().reverse_dict.getlist(name)[0][0]
    names = possibilities[0][1]
    fake = {"uidb36": "1-x", "pk": "1"}
    return {name: fake.get(name, "x") for name in names}


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def all_patterns() -> dict[str, URLPattern]:
    return dict(walk(get_resolver().url_patterns))


def is_account_page(name: str) -> bool:
    # allauth's own pages (sign in, sign up, password, e-mail, 2FA): public or the signed-in
    # user's own account. They are checked for leaks, not for who may use them.
    return name.startswith(("account_", "mfa_"))


def test_every_url_pattern_has_a_case():
    missing = [name for name in all_patterns() if name not in CASES and not is_account_page(name)]
    assert missing == [], f"add a permission case for: {missing}"
    unnamed = [p for p in walk(get_resolver().url_patterns) if not p[0]]
    assert unnamed == []


def refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and response.url.startswith(reverse("account_login"))


def body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def assert_discreet(response: Any, text: str, where: tuple[str, str]) -> None:
    """No page anyone can see names what the app is for (DESIGN invariant 9)."""
    if response.get("Content-Type", "").startswith(("text/html", "application/json")):
        lower = text.lower()
        assert "stalk" not in lower and "victim" not in lower, where
        # A tab's title shows in the browser's history and task switcher: it names nothing.
        title = re.search(r"<title>(.*?)</title>", lower, flags=re.S)
        if title:
            for word in ("police", "harass", "evidence", "abuse"):
                assert word not in title.group(1), (where, title.group(1))


def call(world: World, actor: str, name: str, case: Case) -> Any:
    url = reverse(name, kwargs=case.kwargs(world))
    client = world.clients[actor]
    if case.method == "post":
        return client.post(url, case.data, **case.headers)
    if case.method == "head":
        return client.head(url, **case.headers)
    return client.get(url, **case.headers)


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_the_right_people_get_through(world, name):
    case = CASES[name]
    for actor in ACTORS:
        before = world.ledger_count()
        response = call(world, actor, name, case)
        assert response.status_code < 500, (actor, name)
        text = body(response)
        assert_discreet(response, text, (actor, name))
        if case.public:
            if actor != OWNER:
                assert not [m for m in MARKERS if m in text], (actor, name)
            continue
        if actor in case.allowed:
            assert not refused(response), (actor, name, response.status_code)
            continue
        leaked = [marker for marker in MARKERS if marker in text]
        assert leaked == [], (actor, name, leaked)
        if actor in case.own_scope:
            assert not refused(response), (actor, name, response.status_code)
        else:
            assert refused(response), (actor, name, response.status_code)
        assert world.ledger_count() == before, (actor, name)


@pytest.mark.parametrize("name", sorted(n for n in all_patterns() if is_account_page(n)))
def test_account_pages_never_show_the_diary(world, name):
    url = reverse(name, kwargs=_allauth_kwargs(name))
    for actor in ACTORS:
        if actor == OWNER:
            continue
        response = world.clients[actor].get(url)
        assert response.status_code < 500, (actor, name)
        assert_discreet(response, body(response), (actor, name))
        leaked = [marker for marker in MARKERS if marker in body(response)]
        assert leaked == [], (actor, name, leaked)


def test_the_world_is_what_the_matrix_assumes(world):
    assert Submission.objects.get().witness_id == world.ids["w_all"]
