"""Django's database sessions, with nothing in the table a browser could use.

The cookie holds the session key; `django_session` holds only its keyed hash
(`crypto.stored_key`) as the primary key, and the session's data sealed with AES-GCM, so a
copy of the database neither opens a session nor shows what a session carries (allauth's
pending sign-ins and reset keys, anything the app parks there).
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from diary.core import crypto

CONTEXT = b"django_session.session_data"


class SessionStore(db.SessionStore):
    def _stored(self, key: str | None = None) -> str:
        key = self.session_key if key is None else key
        assert key is not None
        return crypto.stored_key(key)

    def encode(self, session_dict: dict[str, Any]) -> str:
        return crypto.seal_text(super().encode(session_dict), CONTEXT)

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode()
        if not crypto.is_sealed(session_data):
            return {}
        try:
            return super().decode(crypto.open_text(session_data, CONTEXT))
        except crypto.DecryptionError:
            return {}

    def _get_session_from_db(self) -> Any:
        if not self.session_key:
            return None
        try:
            return self.model.objects.get(
                session_key=self._stored(), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> Any:
        if not self.session_key:
            return None
        try:
            return await self.model.objects.aget(
                session_key=self._stored(), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=self._stored(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(
            await self.model.objects.filter(session_key=self._stored(session_key)).aexists()
        )

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=self._stored(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=self._stored(
                await self._aget_or_create_session_key()  # type: ignore[attr-defined]
            ),
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=self._stored(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=self._stored(session_key)).adelete()
