"""The lockout check's one action: what a single confirmed POST ends, all in one transaction."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest

from diary import messages
from diary.models import User
from diary.safety import services
from diary.safety.lockout import parts
from diary.safety.sessions import current_session_id


@transaction.atomic
def lockout(*, request: HttpRequest, actor: User, keep: EmailAddress | None) -> list[str]:
    """Sign out every other session, let each part end its own (contacts' links), and keep
    one e-mail address. Returns a line per thing done, for her to read."""
    done = []
    ended = services.sessions_end_others(request=request, actor=actor)
    done.append(str(messages.LOCKOUT_SESSIONS_DONE % {"count": ended}))
    session_id = current_session_id(request)
    for part in parts():
        line = part.act(request=request, actor=actor, session_id=session_id)
        if line:
            done.append(line)
    if keep is not None:
        removed = services.addresses_keep_only(request=request, actor=actor, keep=keep)
        if removed:
            done.append(str(messages.LOCKOUT_ADDRESSES_DONE % {"addresses": ", ".join(removed)}))
    return done
