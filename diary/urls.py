from django.urls import path

from diary.bundle.views import export_download, exports
from diary.evidence.views import evidence_add, evidence_original, evidence_preview
from diary.records.views import (
    capture,
    diary_settings,
    entry_amend,
    entry_detail,
    entry_new,
    entry_withdraw,
    item_amend,
    item_detail,
    item_new,
    items,
    patterns,
    timeline,
    withdrawn,
)
from diary.risk.views import risk_checklist, risk_checklist_detail
from diary.safety.views import access_log, session_end, sessions, sessions_end_others, welcome

app_name = "diary"

urlpatterns = [
    path("", timeline, name="timeline"),
    path("capture/", capture, name="capture"),
    path("withdrawn/", withdrawn, name="withdrawn"),
    path("entries/new/", entry_new, name="entry_new"),
    path("entries/<int:entry_id>/", entry_detail, name="entry"),
    path("entries/<int:entry_id>/amend/", entry_amend, name="entry_amend"),
    path("entries/<int:entry_id>/withdraw/", entry_withdraw, name="entry_withdraw"),
    path("entries/<int:entry_id>/evidence/", evidence_add, name="evidence_add"),
    path("evidence/<int:evidence_id>/original", evidence_original, name="evidence_original"),
    path("evidence/<int:evidence_id>/preview", evidence_preview, name="evidence_preview"),
    path("items/", items, name="items"),
    path("items/new/", item_new, name="item_new"),
    path("items/<int:item_id>/", item_detail, name="item"),
    path("items/<int:item_id>/amend/", item_amend, name="item_amend"),
    path("settings/", diary_settings, name="settings"),
    path("patterns/", patterns, name="patterns"),
    path("export/", exports, name="exports"),
    path("export/<int:export_id>/download", export_download, name="export_download"),
    path("risk/", risk_checklist, name="risk"),
    path("risk/<int:risk_id>/", risk_checklist_detail, name="risk_checklist"),
    path("welcome/", welcome, name="welcome"),
    path("sessions/", sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", session_end, name="session_end"),
    path("sessions/end-others/", sessions_end_others, name="sessions_end_others"),
    path("access/", access_log, name="access_log"),
]
