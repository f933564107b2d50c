"""The owner's pages, by feature: the tree under diary/ is where each view lives."""

from django.urls import path

from diary.bundle import views as bundle
from diary.evidence import views as evidence
from diary.imports import views as imports
from diary.jobs import views as jobs
from diary.ledger import views as ledger
from diary.person import views as person
from diary.records import views as records
from diary.risk import views as risk
from diary.safety import views as safety
from diary.uploads import views as uploads

app_name = "diary"

urlpatterns = [
    # The timeline, entries, items, settings and patterns (diary.records)
    path("", records.timeline, name="timeline"),
    path("capture/", records.capture, name="capture"),
    path("withdrawn/", records.withdrawn, name="withdrawn"),
    path("entries/new/", records.entry_new, name="entry_new"),
    path("entries/<int:entry_id>/", records.entry_detail, name="entry"),
    path("entries/<int:entry_id>/amend/", records.entry_amend, name="entry_amend"),
    path("entries/<int:entry_id>/withdraw/", records.entry_withdraw, name="entry_withdraw"),
    path("items/", records.items, name="items"),
    path("items/new/", records.item_new, name="item_new"),
    path("items/<int:item_id>/", records.item_detail, name="item"),
    path("items/<int:item_id>/amend/", records.item_amend, name="item_amend"),
    path("settings/", records.diary_settings, name="settings"),
    path("patterns/", records.patterns, name="patterns"),
    # Files on entries (diary.evidence)
    path("entries/<int:entry_id>/evidence/", evidence.evidence_add, name="evidence_add"),
    path(
        "evidence/<int:evidence_id>/original", evidence.evidence_original, name="evidence_original"
    ),
    path("evidence/<int:evidence_id>/preview", evidence.evidence_preview, name="evidence_preview"),
    path("evidence/<int:evidence_id>/play", evidence.evidence_media, name="evidence_media"),
    path("evidence/<int:evidence_id>/kind", evidence.evidence_kind, name="evidence_kind"),
    path("evidence/<int:evidence_id>/safe", evidence.evidence_safe, name="evidence_safe"),
    path(
        "evidence/<int:evidence_id>/safe/<int:number>.png",
        evidence.evidence_safe_page,
        name="evidence_safe_page",
    ),
    # Files and recordings sent in pieces, resumable (diary.uploads: the tus protocol)
    path("uploads/", uploads.uploads, name="uploads"),
    path("uploads/<uuid:upload_id>", uploads.upload, name="upload"),
    # Bundles for the police (diary.bundle)
    path("export/", bundle.exports, name="exports"),
    path("export/<int:export_id>/download", bundle.export_download, name="export_download"),
    path("export/head/", bundle.head, name="head"),
    path("export/head/download", bundle.head_file, name="head_download"),
    path("export/check/", ledger.records_check, name="records_check"),
    # Texts, e-mails and calls from an export (diary.imports)
    path("import/", imports.import_start, name="import"),
    path("import/<uuid:pending_id>/", imports.import_choose, name="import_choose"),
    # Work in the background (diary.jobs)
    path("jobs/<uuid:job_id>/", jobs.job_page, name="job"),
    # The risk checklist (diary.risk)
    path("risk/", risk.risk_checklist, name="risk"),
    path("risk/<int:risk_id>/", risk.risk_checklist_detail, name="risk_checklist"),
    # About the person (diary.person)
    path("person/", person.person, name="person"),
    path("person/photo", person.person_photo, name="person_photo"),
    # Account safety (diary.safety)
    path("welcome/", safety.welcome, name="welcome"),
    path("sessions/", safety.sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", safety.session_end, name="session_end"),
    path("sessions/end-others/", safety.sessions_end_others, name="sessions_end_others"),
    path("access/", safety.access_log, name="access_log"),
    path("lockout/", safety.lockout, name="lockout"),
    path(
        "access/notices/<int:event_id>/seen/",
        safety.access_notice_seen,
        name="access_notice_seen",
    ),
]
