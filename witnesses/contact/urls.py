"""A witness's pages (under /w/)."""

from django.urls import path

from witnesses.contact.views import (
    brief_photo,
    home,
    keep,
    leave,
    open_link,
    receipt,
    receipt_file,
    upload,
    uploads,
)

app_name = "witness"

urlpatterns = [
    path("", home, name="home"),
    path("sent/<str:reference>/", receipt, name="receipt"),
    path("sent/<str:reference>/receipt.json", receipt_file, name="receipt_file"),
    path("brief/photo", brief_photo, name="brief_photo"),
    path("leave/", leave, name="leave"),
    path("keep/", keep, name="keep"),
    path("uploads/", uploads, name="uploads"),
    path("uploads/<uuid:upload_id>", upload, name="upload"),
    path("<str:token>", open_link, name="open"),
]
