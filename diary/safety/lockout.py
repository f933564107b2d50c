"""The lockout check's extension point: other apps add what they know can reach the diary.

diary lists the owner's sessions, e-mail addresses and authenticators itself; witnesses plugs
in its contacts and their links at start-up (`witnesses/apps.py`), since diary never imports
witnesses.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString


@dataclass(frozen=True)
class LockoutPart:
    # The part's section of the page, inside the check's form (so its tick boxes are sent
    # with it): `section(request=..., actor=..., session_id=...)`, rendered HTML.
    section: Callable[..., SafeString]
    # Its share of the one action, inside the action's transaction: reads its tick boxes from
    # `request.POST`, ends what it lists, and returns a line saying what it did ("" if nothing).
    act: Callable[..., str]


_parts: list[LockoutPart] = []


def register_part(*, section: Callable[..., SafeString], act: Callable[..., str]) -> None:
    part = LockoutPart(section=section, act=act)
    if part not in _parts:
        _parts.append(part)


def parts() -> list[LockoutPart]:
    return list(_parts)


def sections(*, request: Any, actor: Any, session_id: int | None) -> list[SafeString]:
    return [part.section(request=request, actor=actor, session_id=session_id) for part in _parts]
