"""The baseline every speed figure is divided by: Django answering JSON after one primary-key
query, through the same middleware, served by the same uvicorn in the same run."""

from django.http import Http404, HttpRequest, JsonResponse

from diary.models import Diary


def bare(request: HttpRequest, pk: int) -> JsonResponse:
    row = Diary.objects.filter(pk=pk).values("pk", "title").first()
    if row is None:
        raise Http404
    return JsonResponse(row)
