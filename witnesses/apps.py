from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WitnessesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "witnesses"
    verbose_name = _("Trusted contacts")

    def ready(self) -> None:
        from diary.bundle.chronology import register_cover_count, register_section
        from diary.bundle.writer import register_csv_columns
        from diary.ledger.services import register_ledgered
        from diary.live.events import register_renderer
        from diary.models import Upload
        from diary.safety.lockout import register_part
        from diary.uploads.services import register_finisher
        from witnesses import models
        from witnesses.chronology import (
            CSV_TITLES,
            witnesses_count,
            witnesses_csv_cells,
            witnesses_section,
        )
        from witnesses.live.events import INBOX_CARD, inbox_card
        from witnesses.lockout import contacts_section, contacts_stop
        from witnesses.services.submissions import submission_from_upload

        register_section(witnesses_section)
        register_cover_count(witnesses_count)
        register_csv_columns(CSV_TITLES, witnesses_csv_cells)
        register_renderer(INBOX_CARD, inbox_card)
        register_part(section=contacts_section, act=contacts_stop)
        register_finisher(Upload.Party.CONTACT, submission_from_upload)

        for model, diary_path in (
            (models.WitnessEvent, "witness__diary_id"),
            (models.BriefVersion, "diary_id"),
            (models.Submission, "diary_id"),
            (models.SubmissionFile, "submission__diary_id"),
            (models.FollowUp, "submission__diary_id"),
            (models.Decision, "submission__diary_id"),
            (models.SharedEntry, "entry__diary_id"),
        ):
            register_ledgered(model, diary_path)
