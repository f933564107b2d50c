"""The "About the person" page and its photo. Thin: selectors, the service, render."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from diary import messages
from diary.gate import diary_for
from diary.models import PersonVersion
from diary.person.forms import PersonForm
from diary.person.selectors import person_for_owner, person_latest
from diary.person.services import person_update
from diary.safety.accounts import confirm_first
from diary.web.body_size import uploads_at_most
from diary.web.downloads import stored_file_response
from diary.web.forms import apply_errors
from diary.web.requests import OwnerRequest


@uploads_at_most(1)
@require_http_methods(["GET", "POST"])
@login_required
def person(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    # Asked before the form is shown, as the brief does: a photo chosen before confirming
    # would not survive the round trip.
    confirm_first(request)
    current = person_latest(diary)
    initial = (
        {name: getattr(current, name) for name in PersonVersion.CONTENT_FIELDS} if current else {}
    )
    form = PersonForm(request.POST or None, request.FILES or None, initial=initial)
    if not (current and current.photo):
        del form.fields["remove_photo"]
    if request.method == "POST" and form.is_valid():
        try:
            person_update(
                diary=diary,
                actor=request.user,
                content=form.content(),
                photo=form.cleaned_data.get("photo"),
                remove_photo=form.cleaned_data.get("remove_photo", False),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, messages.PERSON_SAVED)
            return redirect("diary:person")
    return render(
        request,
        "diary/person.html",
        {
            "form": form,
            "person": current,
            "intro": messages.PERSON_INTRO,
            "photo_alt": messages.PERSON_PHOTO_ALT,
            "version_line": (
                messages.PERSON_VERSION % {"number": current.number} if current else ""
            ),
        },
    )


@require_GET
@login_required
def person_photo(request: OwnerRequest) -> FileResponse:
    current = person_for_owner(actor=request.user)
    if current is None or not current.photo:
        raise Http404
    return stored_file_response(current.photo_file, content_type="image/jpeg")
