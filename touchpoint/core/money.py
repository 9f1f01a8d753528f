"""Money: Decimal amounts with a currency, rounded the same way everywhere.

Amounts are stored as DECIMAL(16, 2) with a three-letter currency beside them (CNY by default).
Rates (tax, discount, probability) are percentages stored as DECIMAL(5, 2).
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def money(value: Any) -> Decimal:
    """Round to the cent, half up, as invoices and contracts are written."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return money(amount * percent / HUNDRED)


def amount_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(
        verbose_name, max_digits=16, decimal_places=2, validators=[MinValueValidator(ZERO)], **kwargs
    )


def percent_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)], **kwargs,
    )  # fmt: skip


def currency_field() -> models.CharField:
    return models.CharField(_("currency"), max_length=3, default=default_currency)


def default_currency() -> str:
    return str(getattr(settings, "DEFAULT_CURRENCY", "CNY"))


class TaxKind(models.TextChoices):
    """What a line sells, which sets its default VAT rate (settings TAX_RATE_SERVICES / TAX_RATE_GOODS)."""

    SERVICES = "services", _("Software and services")
    GOODS = "goods", _("Goods")


def default_tax_rate(kind: str = TaxKind.SERVICES) -> Decimal:
    name = "TAX_RATE_GOODS" if kind == TaxKind.GOODS else "TAX_RATE_SERVICES"
    return Decimal(str(getattr(settings, name)))
