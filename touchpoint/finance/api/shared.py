"""What the finance endpoints share: money and month fields, query parameters checked strictly, and
service errors moved onto the names the request used."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request

from touchpoint.finance.services.invoices import MAX_AMOUNT

MAX_ID = 9_223_372_036_854_775_807
MONTH_PATTERN = r"^\d{4}-\d{2}$"


def money(**options: Any) -> serializers.DecimalField:
    """An amount the API answers with: a string with two decimals. Sums get room beyond one row's 16 digits."""
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, **options)


def amount_input(**options: Any) -> serializers.DecimalField:
    """An amount a request sends: above zero, in yuan and fen."""
    return serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT,
        error_messages={"min_value": gettext_lazy("The amount must be above zero.")}, **options,
    )  # fmt: skip


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-07"})
class MonthField(serializers.Field):
    """A calendar month as YYYY-MM, both ways."""

    default_error_messages = {"invalid": gettext_lazy("Enter a month as YYYY-MM.")}

    def to_representation(self, value: date) -> str:
        return f"{value:%Y-%m}"

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str) or not re.fullmatch(MONTH_PATTERN, data):
            self.fail("invalid")
        year, month = int(data[:4]), int(data[5:])
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            self.fail("invalid")
        return date(year, month, 1)


def id_field(**options: Any) -> serializers.IntegerField:
    """A record id in a filter or query parameter."""
    return serializers.IntegerField(min_value=1, max_value=2**62, **options)


def query_values(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The query parameters, validated; an unknown one is a 400 naming it, like a bad value."""
    known = serializer_class().fields
    problems: dict[str, Any] = {}
    for name in request.query_params:
        if name not in known:
            problems[name[:50]] = [_("Unknown query parameter.")]
        elif not str(request.query_params.get(name, "")).strip():
            # Sent empty is a malformed value, not "left out".
            problems[name] = [_("This parameter may not be empty.")]
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        problems.update(query.errors)
    if problems:
        raise exceptions.ValidationError(problems)
    return dict(query.validated_data)


def path_id(value: str) -> int:
    """An id from the URL; anything that cannot be one is a 404 like an id nobody may see."""
    # ASCII digits only: str.isdigit() also accepts "¹", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,19}", value) or int(value) > MAX_ID:
        raise exceptions.NotFound(_("No such record among those you may see, or no such page."))
    return int(value)


@contextmanager
def errors_renamed(**names: str) -> Iterator[None]:
    """Services name the model's field (`credit_hold`) or the record (`record`); the request called it
    otherwise (`on`, `contract`). Move the messages onto the request's names."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(field, field): messages for field, messages in error.error_dict.items()}
        ) from None
