from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiaryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "diary"
    verbose_name = _("Diary")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from pillow_heif import register_heif_opener

        from diary.bundle.writer import register_csv_columns
        from diary.core import checks  # noqa: F401 (registers the start-up checks)
        from diary.core.filemodes import owner_only_sqlite
        from diary.imports.bundle import CSV_TITLES, imports_csv_cells
        from diary.safety import signals  # noqa: F401 (registers the access log's receivers)

        # Phones send HEIC photos; teach Pillow to open them for previews and EXIF.
        register_heif_opener()
        register_csv_columns(CSV_TITLES, imports_csv_cells)
        connection_created.connect(owner_only_sqlite, dispatch_uid="owner_only_sqlite")
