"""The risk checklist: suggestions from the diary, dated checklists kept with their ledger
records, clear refusals, the owner's own pages only, and the latest one in the chronology."""

import re
import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.bundle.chronology import chronology_context
from diary.bundle.services import export_create, unzip_to
from diary.bundle.writer import entries_for_export
from diary.ledger.services import RISK_CHECKLIST
from diary.ledger.verify import ledger_verify
from diary.models import Entry, LedgerRecord, RiskChecklist
from diary.records import services
from diary.risk.questions import (
    ANSWER_MISSING,
    NOTE_MAX_LENGTH,
    QUESTIONS,
    QUESTIONS_BY_CODE,
    UNKNOWN_QUESTION,
)
from diary.risk.selectors import risk_checklist_get, risk_suggestions
from diary.risk.services import risk_checklist_complete
from tests.factories import entry_content, make_entry

pytestmark = pytest.mark.django_db

HELPLINE = (
    "If you are in danger now, call 999. For free, confidential advice, a national helpline is on "
    "0808 802 0300."
)


def all_answers(**overrides: str) -> dict[str, str]:
    """Every question answered "Not sure" (fear: "A little"), with some answers changed."""
    answers = {q.code: "not_sure" for q in QUESTIONS}
    answers["fear"] = "a_little"
    answers.update(overrides)
    return answers


def form_data(**overrides: str) -> dict[str, str]:
    return dict(all_answers(**overrides))


def days_ago(days: float) -> dict:
    return {"occurred_start": timezone.now() - timedelta(days=days)}


def text_of(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(a|strong|em|span|time)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def checked(response, code: str) -> str | None:
    """The value of the radio button chosen for a question, if any."""
    html = response.content.decode()
    for tag in re.findall(rf'<input[^>]*name="{code}"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


# Suggestions --------------------------------------------------------------------------------


def test_the_diary_suggests_answers_it_already_shows(owner, owner_client):
    make_entry(owner, behaviours=["approaching_others"], **days_ago(40))
    make_entry(owner, behaviours=["approaching_others", "threats"], **days_ago(30))
    services.entry_create(
        diary=owner.diary,
        actor=owner,
        content=entry_content(behaviours=["approaching_others"], **days_ago(20)),
        source=Entry.Source.WITNESS,
        reported_by="Sam (neighbour)",
    )
    make_entry(owner, behaviours=["property"], **days_ago(10))
    make_entry(owner, behaviours=["loitering"], **days_ago(1))

    response = owner_client.get(reverse("diary:risk"))

    assert response.status_code == 200
    text = text_of(response)
    assert (
        "Your diary suggests yes: 3 entries about approaches to people you know "
        "(1 from someone you asked to look out)" in text
    )
    assert "Your diary suggests yes: 1 entry about interference with your property" in text
    assert "Your diary suggests yes: 1 entry about threats" in text
    assert (
        "Your diary suggests yes: 1 entry about them following you, watching you or hanging around"
        in text
    )
    for code in ("approaches_others", "property_damaged", "threats", "loitering"):
        assert checked(response, code) == "yes", code
    # Entries a week or more apart: no suggestion about visits several times a week.
    assert checked(response, "frequent_contact") is None
    assert checked(response, "fear") is None and checked(response, "past_violence") is None


def test_only_the_current_version_of_entries_still_in_the_timeline_counts(owner, owner_client):
    amended = make_entry(owner, behaviours=["threats"])
    services.entry_amend(
        entry=amended,
        actor=owner,
        content={**amended.current.content_values(), "behaviours": ["publishing"]},
    )
    withdrawn = make_entry(owner, behaviours=["property"])
    services.entry_withdraw(entry=withdrawn, actor=owner, reason="Wrong day")

    assert risk_suggestions(actor=owner) == {}
    response = owner_client.get(reverse("diary:risk"))
    assert "Your diary suggests" not in text_of(response)


def test_more_than_three_entries_in_seven_days_suggests_visits_several_times_a_week(owner):
    for days in (30, 29, 27, 24):  # four within six days
        make_entry(owner, **days_ago(days))
    make_entry(owner, **days_ago(2))

    suggestion = risk_suggestions(actor=owner)["frequent_contact"]

    assert suggestion.answer == "yes" and suggestion.count == 4
    assert suggestion.reason.startswith("4 entries within seven days, starting ")


def test_three_entries_in_a_week_is_not_several_times_a_week(owner):
    for days in (30, 28, 25, 23):  # the fourth is seven days after the first
        make_entry(owner, **days_ago(days))
    assert "frequent_contact" not in risk_suggestions(actor=owner)


def test_the_form_page_costs_the_same_queries_however_big_the_diary(
    owner, owner_client, django_assert_max_num_queries
):
    make_entry(owner, behaviours=["approaching_others"])
    risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    with CaptureQueriesContext(connection) as small:
        assert owner_client.get(reverse("diary:risk")).status_code == 200

    for n in range(40):
        make_entry(
            owner,
            behaviours=["approaching_others", "property", "threats", "loitering"][: n % 4 + 1],
            **days_ago(n / 3),
        )
    for _ in range(5):
        risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get(reverse("diary:risk"))
    assert response.status_code == 200
    assert "41 entries about approaches to people you know" in text_of(response)


# Completing a checklist --------------------------------------------------------------------


def test_completing_keeps_a_dated_checklist_and_a_ledger_record(owner, owner_client):
    before = LedgerRecord.objects.filter(diary=owner.diary).count()
    response = owner_client.post(
        reverse("diary:risk"),
        form_data(fear="very", threats="yes", threats_note="Said he would wait for me after work."),
    )

    checklist = RiskChecklist.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("diary:risk_checklist", args=[checklist.pk])
    assert checklist.diary == owner.diary and checklist.number == 1
    assert checklist.completed_by == owner
    assert abs(checklist.completed_at - timezone.now()) < timedelta(minutes=1)
    assert checklist.answers["fear"] == {"answer": "very", "note": ""}
    assert checklist.answers["threats"] == {
        "answer": "yes",
        "note": "Said he would wait for me after work.",
    }
    assert set(checklist.answers) == {q.code for q in QUESTIONS}

    records = LedgerRecord.objects.filter(diary=owner.diary)
    assert records.count() == before + 1
    record = records.order_by("-seq").first()
    assert record.kind == RISK_CHECKLIST == "risk.checklist"
    assert record.object == f"diary.riskchecklist:{checklist.pk}"
    assert record.actor == f"owner:{owner.pk}"
    assert ledger_verify().ok

    page = owner_client.get(response.url)
    text = text_of(page)
    assert page.status_code == 200
    assert "Checklist 1" in text
    assert "How frightened are you? Very frightened" in text
    assert "Said he would wait for me after work." in text
    assert "<form" not in page.content.decode().split('id="main"')[1].split("safety")[0]


def test_the_ledger_notices_a_changed_or_removed_checklist(owner):
    checklist = risk_checklist_complete(
        diary=owner.diary, actor=owner, answers=all_answers(fear="very")
    )
    assert ledger_verify().ok
    RiskChecklist.objects.filter(pk=checklist.pk).update(answers=all_answers())
    result = ledger_verify()
    assert not result.ok and "has changed" in result.problem.reason


def test_a_checklist_without_its_ledger_record_is_found(owner):
    checklist = risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    LedgerRecord.objects.filter(object=f"diary.riskchecklist:{checklist.pk}").delete()
    result = ledger_verify()
    assert not result.ok
    assert f"diary.riskchecklist:{checklist.pk}" in result.problem.reason


def test_earlier_checklists_are_kept_when_a_new_one_is_completed(owner, owner_client):
    owner_client.post(reverse("diary:risk"), form_data(fear="a_little", wellbeing="no"))
    owner_client.post(reverse("diary:risk"), form_data(fear="very", wellbeing="yes"))

    first, second = RiskChecklist.objects.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.answers["fear"]["answer"] == "a_little"
    assert second.answers["fear"]["answer"] == "very"
    assert second.completed_at >= first.completed_at
    assert ledger_verify().ok

    page = owner_client.get(reverse("diary:risk"))
    for checklist in (first, second):
        assert reverse("diary:risk_checklist", args=[checklist.pk]).encode() in page.content
    assert f'datetime="{first.completed_at.isoformat()}"'.encode() in page.content
    old = text_of(owner_client.get(reverse("diary:risk_checklist", args=[first.pk])))
    assert "How frightened are you? A little" in old


# Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(fear="terrified"), str(messages.UNKNOWN_CHOICE)),
        (form_data(threats="maybe"), str(messages.UNKNOWN_CHOICE)),
        ({k: v for k, v in form_data().items() if k != "loitering"}, str(ANSWER_MISSING)),
    ],
)
def test_bad_answers_are_refused_clearly_and_nothing_is_saved(owner, owner_client, data, message):
    records = LedgerRecord.objects.count()
    response = owner_client.post(reverse("diary:risk"), data)
    assert response.status_code == 200
    text = text_of(response)
    assert "Some answers need looking at" in text
    assert message in text
    assert RiskChecklist.objects.count() == 0
    assert LedgerRecord.objects.count() == records


def test_a_note_that_is_too_long_is_refused(owner, owner_client):
    response = owner_client.post(
        reverse("diary:risk"), form_data(wellbeing_note="x" * (NOTE_MAX_LENGTH + 1))
    )
    assert response.status_code == 200
    assert "Keep the note under 2,000 characters (this one has 2,001)." in text_of(response)
    assert RiskChecklist.objects.count() == 0


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({**all_answers(), "shoe_size": "yes"}, "shoe_size", UNKNOWN_QUESTION),
        (all_answers(fear="yes"), "fear", messages.UNKNOWN_CHOICE),
        (all_answers(threats=""), "threats", ANSWER_MISSING),
        ({**all_answers(), "threats": {"answer": "yes", "score": 9}}, "threats", None),
        ({**all_answers(), "threats": {"answer": ["yes"]}}, "threats", None),
        (
            {**all_answers(), "threats": {"answer": "yes", "note": "x" * 2001}},
            "threats_note",
            None,
        ),
    ],
)
def test_the_service_names_each_bad_answer(owner, answers, field, message):
    records = LedgerRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        risk_checklist_complete(diary=owner.diary, actor=owner, answers=answers)
    errors = caught.value.message_dict
    assert field in errors
    if message is not None:
        assert errors[field] == [str(message)]
    assert RiskChecklist.objects.count() == 0
    assert LedgerRecord.objects.count() == records


def test_the_service_refuses_something_that_is_not_a_set_of_answers(owner):
    with pytest.raises(ValidationError):
        risk_checklist_complete(diary=owner.diary, actor=owner, answers=["yes"])
    assert RiskChecklist.objects.count() == 0


def test_the_service_accepts_answers_with_notes_and_trims_them(owner):
    answers = {**all_answers(), "wellbeing": {"answer": "yes", "note": "  Not sleeping.  "}}
    checklist = risk_checklist_complete(diary=owner.diary, actor=owner, answers=answers)
    assert checklist.answers["wellbeing"] == {"answer": "yes", "note": "Not sleeping."}
    assert checklist.answers["past_violence"] == {"answer": "not_sure", "note": ""}


# Who may ----------------------------------------------------------------------------------


def test_another_owner_gets_404_and_their_own_checklist(owner, other_owner, other_client):
    mine = risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    make_entry(owner, behaviours=["threats"])
    assert other_client.get(reverse("diary:risk_checklist", args=[mine.pk])).status_code == 404
    with pytest.raises(Http404):
        risk_checklist_get(actor=other_owner, checklist_id=mine.pk)

    theirs = other_client.get(reverse("diary:risk"))
    assert theirs.status_code == 200
    assert "Your diary suggests" not in text_of(theirs)
    assert reverse("diary:risk_checklist", args=[mine.pk]).encode() not in theirs.content

    other_client.post(reverse("diary:risk"), form_data())
    assert RiskChecklist.objects.filter(diary=owner.diary).count() == 1
    assert RiskChecklist.objects.filter(diary=other_owner.diary).count() == 1
    assert ledger_verify().ok


def test_anonymous_visitors_are_sent_to_sign_in(owner, anon_client):
    checklist = risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    login = reverse("account_login")
    for url in (reverse("diary:risk"), reverse("diary:risk_checklist", args=[checklist.pk])):
        response = anon_client.get(url)
        assert response.status_code == 302 and response.url.startswith(login)
    response = anon_client.post(reverse("diary:risk"), form_data())
    assert response.status_code == 302 and response.url.startswith(login)
    assert RiskChecklist.objects.count() == 1


def test_the_detail_page_is_read_only(owner, owner_client):
    checklist = risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    url = reverse("diary:risk_checklist", args=[checklist.pk])
    assert owner_client.post(url, form_data(fear="very")).status_code == 405
    checklist.refresh_from_db()
    assert checklist.answers["fear"]["answer"] == "a_little"


# What the pages say ------------------------------------------------------------------------


class Labels(HTMLParser):
    """Every form control, and whether a <label> names it (by `for`, or by wrapping it)."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.inside_label = 0
        self.controls: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "textarea", "select") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append((attrs.get("id", ""), self.inside_label > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.inside_label -= 1


def test_every_field_is_labelled_and_every_question_is_asked(owner, owner_client):
    response = owner_client.get(reverse("diary:risk"))
    html = response.content.decode()
    form = html[html.index('action="/diary/risk/"') :]
    form = form[: form.index("</form>")]
    parser = Labels()
    parser.feed(form)
    assert parser.controls
    unlabelled = [i for i, wrapped in parser.controls if not wrapped and i not in parser.label_for]
    assert unlabelled == []
    assert form.count("<fieldset") == form.count("<legend") == len(QUESTIONS)
    text = text_of(response)
    for question in QUESTIONS:
        assert str(question.text) in text
    for choice in ("Not at all", "A little", "Quite frightened", "Very frightened", "Not sure"):
        assert choice in text


def test_the_pages_end_with_999_and_the_helpline_and_give_no_verdict(owner, owner_client):
    make_entry(owner, behaviours=["threats", "approaching_others"])
    form_page = owner_client.get(reverse("diary:risk"))
    checklist = risk_checklist_complete(
        diary=owner.diary, actor=owner, answers=all_answers(fear="very", threats="yes")
    )
    result_page = owner_client.get(reverse("diary:risk_checklist", args=[checklist.pk]))
    for page in (form_page, result_page):
        text = text_of(page)
        assert text.endswith(HELPLINE), text[-200:]
        lower = text.lower()
        assert "victim" not in lower and "stalk" not in lower
        for verdict in ("high risk", "medium risk", "low risk", "standard risk", "your score"):
            assert verdict not in lower
        assert '<a href="tel:999">999</a>' in page.content.decode()


# The chronology -----------------------------------------------------------------------------


def context_for(owner) -> dict:
    return chronology_context(owner.diary, entries_for_export(owner.diary), "0" * 64, {})


def test_the_chronology_has_the_latest_checklist(owner):
    assert context_for(owner)["risk"] is None
    risk_checklist_complete(diary=owner.diary, actor=owner, answers=all_answers())
    latest = risk_checklist_complete(
        diary=owner.diary,
        actor=owner,
        answers={**all_answers(fear="quite"), "wellbeing": {"answer": "yes", "note": "Tired."}},
    )
    shown = context_for(owner)["risk"]
    assert shown.checklist == latest and shown.number == 2
    rows = {row.question: (row.answer, row.note) for row in shown.rows}
    assert rows["How frightened are you?"] == ("Quite frightened", "")
    assert rows[str(QUESTIONS_BY_CODE["wellbeing"].text)] == ("Yes", "Tired.")
    assert len(shown.rows) == len(QUESTIONS)


def pdf_text(export, folder) -> str:
    bundle = unzip_to(export, folder)
    return subprocess.run(
        [shutil.which("pdftotext"), str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_chronology_pdf_shows_the_latest_checklist(owner, tmp_path):
    make_entry(owner, behaviours=["threats"])
    empty = pdf_text(export_create(diary=owner.diary, actor=owner), tmp_path / "one")
    assert "The latest risk checklist" in empty
    assert "No checklist completed." in empty

    risk_checklist_complete(
        diary=owner.diary,
        actor=owner,
        answers={**all_answers(fear="very"), "threats": {"answer": "yes", "note": "By text."}},
    )
    text = " ".join(
        pdf_text(export_create(diary=owner.diary, actor=owner), tmp_path / "two").split()
    )
    assert "The latest risk checklist" in text
    assert "No checklist completed." not in text
    assert "Checklist 1, completed" in text
    assert "How frightened are you?" in text and "Very frightened" in text
    assert "By text." in text
    assert ledger_verify().ok
