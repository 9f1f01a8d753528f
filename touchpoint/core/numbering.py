"""Document numbers such as Q-2026-000123, unique even when two people create at the same moment.

One statement creates the counter row for (prefix, year) or moves it on, and returns the new value.
The row stays locked for the rest of the caller's transaction, so two concurrent callers are served
one after the other and never get the same number. PostgreSQL and SQLite (3.35 and later) both take
`INSERT … ON CONFLICT … DO UPDATE … RETURNING`.
"""

from django.db import connection
from django.utils import timezone

from touchpoint.core.models import DocumentSequence

_TABLE = DocumentSequence._meta.db_table


def next_number(prefix: str, *, year: int | None = None, width: int = 6) -> str:
    year = year or timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {_TABLE} (prefix, year, last) VALUES (%s, %s, 1) '  # noqa: S608 - the table name is ours
            f'ON CONFLICT (prefix, year) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last',
            [prefix, year],
        )
        (last,) = cursor.fetchone()
    return f"{prefix}-{year}-{last:0{width}d}"
