from django.urls import path  # noqa: F401

app_name = "witnesses_api"

urlpatterns: list = []
