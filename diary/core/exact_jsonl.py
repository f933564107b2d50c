"""Django's JSON Lines fixtures, with times to the microsecond.

Django's own encoder cuts times to milliseconds; the ledger hashes times to the microsecond,
so a backup made with it would restore a ledger that no longer verifies. Registered as the
`exactjsonl` serialization format (settings.SERIALIZATION_MODULES) for backup and restore."""

import datetime
from typing import Any

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self) -> None:
        super()._init_options()  # type: ignore[misc]  # a private hook django-stubs leaves out
        self.json_kwargs["cls"] = ExactEncoder


Deserializer = jsonl.Deserializer
