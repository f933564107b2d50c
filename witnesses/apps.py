from django.apps import AppConfig


class WitnessesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "witnesses"
