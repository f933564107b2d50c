from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from diary import api

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
    path("entries/", api.EntryListCreateApi.as_view(), name="entries"),
    path("entries/<int:entry_id>/", api.EntryDetailApi.as_view(), name="entry"),
    path("entries/<int:entry_id>/versions/", api.EntryAmendApi.as_view(), name="entry_versions"),
    path("entries/<int:entry_id>/withdraw/", api.EntryWithdrawApi.as_view(), name="entry_withdraw"),
    path("entries/<int:entry_id>/evidence/", api.EntryEvidenceApi.as_view(), name="entry_evidence"),
    path(
        "evidence/<int:evidence_id>/original",
        api.EvidenceOriginalApi.as_view(),
        name="evidence_original",
    ),
    path("items/", api.ItemListCreateApi.as_view(), name="items"),
    path("items/<int:item_id>/", api.ItemDetailApi.as_view(), name="item"),
    path("items/<int:item_id>/versions/", api.ItemAmendApi.as_view(), name="item_versions"),
    path("exports/", api.ExportListCreateApi.as_view(), name="exports"),
    path(
        "exports/<int:export_id>/download", api.ExportDownloadApi.as_view(), name="export_download"
    ),
    path("ledger/", api.LedgerListApi.as_view(), name="ledger"),
    path("ledger/verify", api.LedgerVerifyApi.as_view(), name="ledger_verify"),
]
