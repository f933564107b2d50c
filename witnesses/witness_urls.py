"""A witness's pages (under /w/)."""

from django.urls import path

from witnesses import witness_views

app_name = "witness"

urlpatterns = [
    path("", witness_views.home, name="home"),
    path("sent/<str:reference>/", witness_views.receipt, name="receipt"),
    path("brief/photo", witness_views.brief_photo, name="brief_photo"),
    path("<str:token>", witness_views.open_link, name="open"),
]
