"""A fresh PostgreSQL database for the PostgreSQL runs: migrated, with one diary of 200
entries and 20 contacts, made by the demo builder. `python -m bench.pgseed OUT.json` with
DATABASE_URL pointing at the (empty) database; writes the ids and cookies it made."""

import json
import sys
import time
from pathlib import Path
from typing import Any

ENTRIES = 200


def seed() -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import CONTACTS, SEED, new_owner
    from bench.run import session_cookie
    from witnesses.demo.builder import build_demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    demo = build_demo(
        owner=new_owner("pg@bench.example"),
        size=ENTRIES,
        contacts=CONTACTS,
        seed=SEED,
        with_files=False,
    )
    return {
        "diary": demo.diary.pk,
        "owner_cookie": session_cookie(demo.owner),
        "witness_keys": [contact.device_key for contact in demo.contacts.values()],
        "migrate_seconds": round(migrated, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(seed()))
