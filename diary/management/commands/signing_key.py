"""Print the fingerprints of the keys that sign bundles, to hand to whoever checks them."""

from typing import Any

from django.core.management.base import BaseCommand

from diary.core import signing


class Command(BaseCommand):
    help = "Print the fingerprint of each signing key (the current one first)."

    def handle(self, *args: Any, **options: Any) -> None:
        for number, key in enumerate(signing.published_keys()):
            state = "signs now" if number == 0 else "earlier key, still checks"
            self.stdout.write(f"{key.key_id}: {signing.grouped(key.fingerprint)}  ({state})")
