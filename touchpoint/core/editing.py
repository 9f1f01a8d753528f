"""The edit-page flow every versioned record shares: validate, save through the service, and on a
stale version show what changed meanwhile instead of overwriting it."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from touchpoint.core.forms import VersionedModelForm, apply_validation_error
from touchpoint.core.versioning import StaleEdit


def versioned_edit(
    request: HttpRequest,
    *,
    form: VersionedModelForm,
    record: models.Model,
    save: Callable[[models.Model, dict[str, Any], int], Any],
    template: str,
    context: dict[str, Any],
    saved_message: str,
    success_url: str,
) -> HttpResponse:
    """Render or process an edit form.

    `save(fresh_record, values, expected_version)` calls the record's update service. A stale
    version answers 409 with the conflict box and the form moved onto the current record; a
    field-level error answers 400; success redirects.
    """
    stale = None
    if request.method == "POST" and form.is_valid():
        fresh = type(record)._default_manager.get(pk=record.pk)
        try:
            save(fresh, form.changed_values(), form.cleaned_data["version"])
        except StaleEdit as conflict:
            stale = conflict
            form.rebase(current=type(record)._default_manager.get(pk=record.pk))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, saved_message)
            return redirect(success_url)
    status = 409 if stale else (400 if form.errors else 200)
    return render(request, template, {**context, "form": form, "stale": stale}, status=status)
