"""A fresh PostgreSQL database for the PostgreSQL runs: migrated, with one diary of 200
entries and 20 witnesses, through the services. `python -m bench.pgseed OUT.json` with
DATABASE_URL pointing at the (empty) database; writes the ids and cookies it made."""

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ENTRIES = 200


def seed() -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import WITNESS_NAMES, entry_content, make_owner, phone_opens
    from bench.run import session_cookie
    from diary.records import services
    from witnesses.services.links import witness_invite

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    rng = random.Random(8)
    owner = make_owner("pg@bench.example")
    from django.utils import timezone

    now = timezone.now()
    for _ in range(ENTRIES):
        content = entry_content(rng, now, days_back=120)
        services.entry_create(diary=owner.diary, actor=owner, content=content)
    keys = []
    for name in WITNESS_NAMES:
        _witness, token = witness_invite(
            diary=owner.diary, actor=owner, name=name, relationship="friend"
        )
        _device, key = phone_opens(token)
        keys.append(key)
    return {
        "diary": owner.diary.pk,
        "owner_cookie": session_cookie(owner),
        "witness_keys": keys,
        "migrate_seconds": round(migrated, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(seed()))
