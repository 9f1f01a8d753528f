"""Optimistic concurrency for editable records.

A form or API payload carries the version the user loaded. An edit against an older version is
refused with the list of what changed meanwhile, never silently written over.
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from django.db import models
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Revision:
    version: int
    by: str
    at: datetime
    changes: list[FieldChange]


class StaleEdit(Exception):
    def __init__(self, revisions: list[Revision], current_version: int) -> None:
        self.revisions = revisions
        self.current_version = current_version
        super().__init__(_("This record was changed by someone else while you were editing it."))


def display_value(instance: models.Model, field_name: str) -> str:
    field = instance._meta.get_field(field_name)
    if getattr(field, "choices", None):
        display = getattr(instance, f"get_{field_name}_display", None)
        if display is not None:
            return str(display())
    if isinstance(field, models.ForeignKey):
        related = getattr(instance, field_name, None)
        return "" if related is None else str(related)
    value = getattr(instance, field_name, None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def field_changes(before: models.Model, after: models.Model, fields: list[str]) -> list[FieldChange]:
    result = []
    for name in fields:
        attname = after._meta.get_field(name).attname  # type: ignore[union-attr]
        if getattr(before, attname, None) == getattr(after, attname, None):
            continue
        old, new = display_value(before, name), display_value(after, name)
        if old != new:
            label = str(getattr(after._meta.get_field(name), "verbose_name", name))
            result.append(FieldChange(field=name, label=label, old=old, new=new))
    return result


def revisions_since(instance: models.Model, version: int) -> list[Revision]:
    """What changed after `version`, from the record's history rows, oldest first."""
    history = list(instance.history.order_by("history_date", "history_id"))  # type: ignore[attr-defined]
    history_fields = {f.name for f in instance.history.model._meta.concrete_fields}  # type: ignore[attr-defined]
    tracked = [
        f.name
        for f in instance._meta.concrete_fields
        if f.name in history_fields and f.name not in {"id", "version", "updated_at", "created_at"}
    ]
    result = []
    for previous, current in pairwise(history):
        if current.version <= version:
            continue
        changes = field_changes(previous, current, tracked)
        by = str(current.history_user) if current.history_user else ""
        result.append(Revision(version=current.version, by=by, at=current.history_date, changes=changes))
    return result


def edit_apply(
    *, instance: models.Model, changes: dict[str, Any], expected_version: int, by: Any
) -> tuple[models.Model, list[FieldChange]]:
    """Lock the row, check the version, apply `changes`; return the saved row and its diff.

    Call inside transaction.atomic(). A no-op edit leaves the version alone.
    """
    model = type(instance)
    manager = getattr(model, "all_objects", model._default_manager)
    locked: Any = manager.select_for_update().get(pk=instance.pk)
    if locked.version != expected_version:
        raise StaleEdit(revisions_since(locked, expected_version), locked.version)
    before = manager.get(pk=instance.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    diff = field_changes(before, locked, list(changes))
    if diff:
        locked.version += 1
        # Uniqueness is checked by the calling service, which knows which message to give.
        locked.full_clean(exclude=["deleted_by"], validate_unique=False, validate_constraints=False)
        locked._history_user = by
        locked.save()
    return locked, diff
