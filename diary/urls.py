from django.urls import path

from diary import risk_views, safety_views, views

app_name = "diary"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("capture/", views.capture, name="capture"),
    path("withdrawn/", views.withdrawn, name="withdrawn"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:entry_id>/", views.entry_detail, name="entry"),
    path("entries/<int:entry_id>/amend/", views.entry_amend, name="entry_amend"),
    path("entries/<int:entry_id>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("entries/<int:entry_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("evidence/<int:evidence_id>/original", views.evidence_original, name="evidence_original"),
    path("evidence/<int:evidence_id>/preview", views.evidence_preview, name="evidence_preview"),
    path("items/", views.items, name="items"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/amend/", views.item_amend, name="item_amend"),
    path("settings/", views.diary_settings, name="settings"),
    path("patterns/", views.patterns, name="patterns"),
    path("export/", views.exports, name="exports"),
    path("export/<int:export_id>/download", views.export_download, name="export_download"),
    path("risk/", risk_views.risk_checklist, name="risk"),
    path("risk/<int:risk_id>/", risk_views.risk_checklist_detail, name="risk_checklist"),
    path("welcome/", safety_views.welcome, name="welcome"),
    path("sessions/", safety_views.sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", safety_views.session_end, name="session_end"),
    path("sessions/end-others/", safety_views.sessions_end_others, name="sessions_end_others"),
    path("access/", safety_views.access_log, name="access_log"),
]
