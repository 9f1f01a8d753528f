"""Document numbers such as Q-2026-000123, unique even when two people create at the same moment.

The counter row for (prefix, year) is locked for the rest of the caller's transaction, so two
concurrent callers are served one after the other and never get the same number.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from touchpoint.core.models import DocumentSequence


def next_number(prefix: str, *, year: int | None = None, width: int = 6) -> str:
    year = year or timezone.localdate().year
    with transaction.atomic():
        try:
            with transaction.atomic():
                DocumentSequence.objects.get_or_create(prefix=prefix, year=year)
        except IntegrityError:
            pass  # created by a concurrent caller in the meantime
        sequence = DocumentSequence.objects.select_for_update().get(prefix=prefix, year=year)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{prefix}-{year}-{sequence.last:0{width}d}"
