"""The app's own settings, plus the bench-only URLs (the bare baseline view). Never used by the
app itself: only `make bench` points DJANGO_SETTINGS_MODULE here."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
