"""Reading "About the person", through the gate."""

from django.db.models import QuerySet

from diary.gate import diary_for
from diary.models import Diary, PersonVersion, User


def person_latest(diary: Diary) -> PersonVersion | None:
    """The version in force, for code that already holds the diary (the bundle)."""
    return PersonVersion.objects.filter(diary=diary).order_by("-number").first()


def person_for_owner(*, actor: User) -> PersonVersion | None:
    return person_latest(diary_for(actor))


def person_versions(*, actor: User) -> QuerySet[PersonVersion]:
    return PersonVersion.objects.filter(diary=diary_for(actor)).order_by("-number")
