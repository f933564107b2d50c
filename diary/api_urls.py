"""The owner's REST API under /api/, by feature (witnesses add theirs: witnesses.api.urls)."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from diary.bundle import api as bundle
from diary.evidence import api as evidence
from diary.jobs import api as jobs
from diary.ledger import api as ledger
from diary.records import api as records

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "docs/",
        # Swagger UI's page carries one inline <style>; it shows no diary data.
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[])
        ),
        name="docs",
    ),
    # Entries and items (diary.records)
    path("entries/", records.EntryListCreateApi.as_view(), name="entries"),
    path("entries/<int:entry_id>/", records.EntryDetailApi.as_view(), name="entry"),
    path(
        "entries/<int:entry_id>/versions/", records.EntryAmendApi.as_view(), name="entry_versions"
    ),
    path(
        "entries/<int:entry_id>/withdraw/",
        records.EntryWithdrawApi.as_view(),
        name="entry_withdraw",
    ),
    path("items/", records.ItemListCreateApi.as_view(), name="items"),
    path("items/<int:item_id>/", records.ItemDetailApi.as_view(), name="item"),
    path("items/<int:item_id>/versions/", records.ItemAmendApi.as_view(), name="item_versions"),
    # Files (diary.evidence)
    path(
        "entries/<int:entry_id>/evidence/",
        evidence.EntryEvidenceApi.as_view(),
        name="entry_evidence",
    ),
    path(
        "evidence/<int:evidence_id>/original",
        evidence.EvidenceOriginalApi.as_view(),
        name="evidence_original",
    ),
    path(
        "evidence/<int:evidence_id>/kind/",
        evidence.EvidenceKindApi.as_view(),
        name="evidence_kind",
    ),
    # Bundles (diary.bundle)
    path("exports/", bundle.ExportListCreateApi.as_view(), name="exports"),
    path(
        "exports/<int:export_id>/download",
        bundle.ExportDownloadApi.as_view(),
        name="export_download",
    ),
    # Work in the background (diary.jobs)
    path("jobs/<uuid:job_id>", jobs.JobApi.as_view(), name="job"),
    # The ledger (diary.ledger)
    path("ledger/", ledger.LedgerListApi.as_view(), name="ledger"),
    path("ledger/verify", ledger.LedgerVerifyApi.as_view(), name="ledger_verify"),
    path("ledger/head", ledger.LedgerHeadApi.as_view(), name="ledger_head"),
]
