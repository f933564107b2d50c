from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from diary.bundle.api import ExportDownloadApi, ExportListCreateApi
from diary.evidence.api import EntryEvidenceApi, EvidenceOriginalApi
from diary.ledger.api import LedgerListApi, LedgerVerifyApi
from diary.records.api import (
    EntryAmendApi,
    EntryDetailApi,
    EntryListCreateApi,
    EntryWithdrawApi,
    ItemAmendApi,
    ItemDetailApi,
    ItemListCreateApi,
)

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
    path("entries/", EntryListCreateApi.as_view(), name="entries"),
    path("entries/<int:entry_id>/", EntryDetailApi.as_view(), name="entry"),
    path("entries/<int:entry_id>/versions/", EntryAmendApi.as_view(), name="entry_versions"),
    path("entries/<int:entry_id>/withdraw/", EntryWithdrawApi.as_view(), name="entry_withdraw"),
    path("entries/<int:entry_id>/evidence/", EntryEvidenceApi.as_view(), name="entry_evidence"),
    path(
        "evidence/<int:evidence_id>/original",
        EvidenceOriginalApi.as_view(),
        name="evidence_original",
    ),
    path("items/", ItemListCreateApi.as_view(), name="items"),
    path("items/<int:item_id>/", ItemDetailApi.as_view(), name="item"),
    path("items/<int:item_id>/versions/", ItemAmendApi.as_view(), name="item_versions"),
    path("exports/", ExportListCreateApi.as_view(), name="exports"),
    path("exports/<int:export_id>/download", ExportDownloadApi.as_view(), name="export_download"),
    path("ledger/", LedgerListApi.as_view(), name="ledger"),
    path("ledger/verify", LedgerVerifyApi.as_view(), name="ledger_verify"),
]
