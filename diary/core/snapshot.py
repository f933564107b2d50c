"""One consistent view of the database for long reads, without locking out writers.

A bundle reads thousands of rows over minutes, and must see them all as of one moment (the
ledger head it names), while contacts' sends and the owner's own writes go on. Both databases
keep old row versions for a reader that has begun: PostgreSQL's REPEATABLE READ, and SQLite's
WAL mode, in which a read transaction sees the database as it was at its first read. On SQLite
the transaction must be DEFERRED: the IMMEDIATE ones this project writes with (settings) take
the one writer's lock at BEGIN, and would hold every other write back for the whole read.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction

# Inside a read_snapshot that began its own transaction (and so has written nothing).
_own: ContextVar[bool] = ContextVar("own_read_snapshot", default=False)


def in_own_snapshot() -> bool:
    """True inside a read_snapshot that opened its own transaction: it has written nothing, so
    another connection sees every row it sees (and any committed since)."""
    return _own.get()


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Everything read inside sees the database as of the first read; nothing can be written.
    Inside a transaction already, that transaction is the snapshot (its own rules apply)."""
    if connection.in_atomic_block:
        yield
        return
    token = _own.set(True)
    try:
        yield from _snapshot()
    finally:
        _own.reset(token)


def _snapshot() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        mode = connection.transaction_mode  # type: ignore[attr-defined]
        connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                yield
        finally:
            connection.transaction_mode = mode  # type: ignore[attr-defined]
        return
    with transaction.atomic():
        yield
