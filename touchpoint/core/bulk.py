"""Bulk loading for scale data: COPY on PostgreSQL, batched executemany on SQLite.

Used by the demo steps that build benchmark-size datasets. Rows bypass the services on purpose
(ten million service calls would take days); each loader computes the same derived columns the
services do (search_text, last_touch_at, one event per touchpoint).
"""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction

BATCH = 5000


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class DetachedIndexes:
    """Index and foreign-key definitions dropped for a load, to be recreated afterwards."""

    indexes: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)


class BulkLoader:
    """Writes rows of plain values (str, int, bool, None) into tables, the fastest way the database allows.

    Timestamps are passed as text made by `timestamp_text()`, so that both databases read them
    without a per-value conversion in Python.
    """

    def __init__(self, report: Callable[[str], None] | None = None) -> None:
        self.vendor = connection.vendor
        self.report = report or (lambda text: None)

    @property
    def is_postgresql(self) -> bool:
        return self.vendor == "postgresql"

    def timestamp_text(self, moment: datetime) -> str:
        """A UTC timestamp as the database's text form (Django stores naive UTC text on SQLite)."""
        utc = moment.astimezone(UTC).replace(tzinfo=None)
        text = utc.isoformat(sep=" ", timespec="seconds")
        return f"{text}+00" if self.is_postgresql else text

    def boolean(self, value: bool) -> Any:
        return value if self.is_postgresql else int(value)

    def next_id(self, table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
            return int(cursor.fetchone()[0])

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        written = 0
        with connection.cursor() as cursor:
            if self.is_postgresql:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                        written += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                for batch in _batches(rows, BATCH):
                    cursor.executemany(sql, batch)
                    written += len(batch)
        return written

    def reset_sequence(self, table: str) -> None:
        if self.is_postgresql:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",  # noqa: S608
                    [table],
                )

    def detach(self, tables: Sequence[str]) -> DetachedIndexes:
        """Drop secondary indexes and outgoing foreign keys of `tables` (PostgreSQL only).

        Primary keys and indexes behind constraints stay. Call inside the load's transaction so
        that a failed load rolls the schema back too.
        """
        detached = DetachedIndexes()
        if not self.is_postgresql:
            return detached
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                [list(tables)],
            )
            for name, table, definition in cursor.fetchall():
                detached.foreign_keys.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [list(tables)],
            )
            for name, definition in cursor.fetchall():
                detached.indexes.append(definition)
                cursor.execute(f"DROP INDEX {name}")
        return detached

    def reattach(self, detached: DetachedIndexes) -> None:
        if not self.is_postgresql:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for statement in [*detached.indexes, *detached.foreign_keys]:
                cursor.execute(statement)

    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh planner statistics; on PostgreSQL outside a transaction also VACUUM, which sets the
        visibility map so that counts and index-only scans need not visit every freshly loaded heap page."""
        vacuum = self.is_postgresql and not connection.in_atomic_block
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")

    @contextmanager
    def loading(self, tables: Sequence[str]) -> Iterator[None]:
        """One transaction around a load: indexes off during it, rebuilt at the end, then ANALYZE."""
        started = time.monotonic()
        with transaction.atomic():
            if self.is_postgresql:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    # Deferred key checks queued earlier in this transaction would forbid the ALTER TABLEs.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            detached = self.detach(tables)
            yield
            loaded = time.monotonic()
            self.reattach(detached)
            indexed = time.monotonic()
        committed = time.monotonic()
        self.analyze(tables)
        self.report(
            f"bulk: {', '.join(tables)}: rows {loaded - started:.1f} s, indexes and keys {indexed - loaded:.1f} s, "
            f"commit {committed - indexed:.1f} s, analyze {time.monotonic() - committed:.1f} s"
        )


def spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` evenly spaced moments from start to end, in order."""
    if count <= 1:
        return [end]
    step = (end - start) / (count - 1)
    return [start + step * i for i in range(count)]
