"""Every URL the app has, and one more for the benchmark's baseline: a bare Django JSON view."""

from django.urls import path

from bench.views import bare
from project.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/bare/<int:pk>", bare, name="bench_bare"),
    *app_urlpatterns,
]
