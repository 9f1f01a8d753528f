"""Per-record change history (who, when, old → new) from django-simple-history rows."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from touchpoint.core.versioning import FieldChange, field_changes

SKIP = {"id", "version", "updated_at", "created_at", "search_text", "last_touch_at", "reminded_at"}


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    by: str
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange]


def record_history(instance: models.Model, limit: int = 200) -> list[HistoryRow]:
    records = list(
        instance.history.select_related("history_user").order_by("history_date", "history_id")[:limit]  # type: ignore[attr-defined]
    )
    history_fields = {f.name for f in instance.history.model._meta.concrete_fields}  # type: ignore[attr-defined]
    tracked = [f.name for f in instance._meta.concrete_fields if f.name in history_fields and f.name not in SKIP]
    rows = []
    previous = None
    for record in records:
        changes = field_changes(previous, record, tracked) if previous is not None else []
        if previous is None:
            changes = [c for c in field_changes(type(record)(), record, tracked) if c.new]
        if previous is None or changes:
            rows.append(
                HistoryRow(at=record.history_date, by=str(record.history_user or ""), kind=record.history_type,
                           changes=changes)
            )  # fmt: skip
        previous = record
    rows.reverse()
    return rows


def history_page(request: HttpRequest, record: models.Model, back_url: str) -> HttpResponse:
    """The per-record history page; the caller has already checked that the user may see the record."""
    return render(request, "core/history.html", {"record": record, "rows": record_history(record), "back_url": back_url})
