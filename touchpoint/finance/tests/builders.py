"""Builders the finance service tests share, on top of the fixtures in conftest.py."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model, Sum
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.models import Contact, Customer, DecisionRole
from touchpoint.customers.services import contact_create
from touchpoint.finance.models import (
    Allocation,
    CreditOverride,
    CreditProfile,
    DunningLetter,
    Invoice,
    InvoiceKind,
    Receipt,
    ReceiptStatus,
)
from touchpoint.finance.services.receipts import receipt_record
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.sales.models import Contract, DeliveryEvent, Module, Opportunity, PaymentMilestone, Quote
from touchpoint.sales.services.contracts import contract_from_quote, delivery_event_fire
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.quotes import quote_create, quote_line_add

# The rows a refused finance write must leave alone.
WATCHED: tuple[type[Model], ...] = (Invoice, Receipt, Allocation, Event, CreditOverride, DunningLetter)


def today() -> date:
    return timezone.localdate()


def days_from_today(days: int) -> date:
    return today() + timedelta(days=days)


def row_counts(models: tuple[type[Model], ...] = WATCHED) -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in models}


@contextmanager
def refused(field: str | None, models: tuple[type[Model], ...] = WATCHED) -> Iterator[Any]:
    """Expect a ValidationError naming `field` (any field when None), and no new or removed rows in the
    watched tables."""
    before = row_counts(models)
    with pytest.raises(ValidationError) as caught:
        yield caught
    if field is not None:
        assert field in caught.value.message_dict, caught.value.message_dict
    assert row_counts(models) == before


def all_milestones_due(contract: Contract, by: Any) -> list[PaymentMilestone]:
    """Fire every delivery event, so that each milestone of the contract can be invoiced."""
    for event in (DeliveryEvent.DELIVERY_ACCEPTED, DeliveryEvent.GO_LIVE, DeliveryEvent.WARRANTY_ENDED):
        delivery_event_fire(contract=contract, event=event, by=by)
    return list(contract.milestones.order_by("order"))


def new_opportunity(customer: Customer, owner: Any, title: str = "行情系统升级") -> Opportunity:
    return opportunity_create(by=owner, customer=customer, title=title, owner=owner, close_date=date(2027, 12, 31),
                              amount=Decimal("500000"))  # fmt: skip


def draft_quote(customer: Customer, owner: Any, modules: list[Module]) -> Quote:
    quote = quote_create(opportunity=new_opportunity(customer, owner), by=owner)
    for module in modules:
        quote_line_add(quote=quote, by=owner, module=module)
    return Quote.objects.get(pk=quote.pk)


def contract_for(customer: Customer, owner: Any, personas: Any, modules: list[Module]) -> Contract:
    """An active contract of `customer` sold by `owner`, its signing milestone due."""
    return active_contract(personas, new_opportunity(customer, owner), modules, rep=owner)


def draft_contract(customer: Customer, owner: Any, modules: list[Module]) -> Contract:
    """A draft contract made from an accepted quote, signed today, not yet confirmed."""
    from touchpoint.sales.services.quotes import quote_accept, quote_mark_sent, quote_submit

    quote = draft_quote(customer, owner, modules)
    quote = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=quote, by=owner), by=owner), by=owner)
    return contract_from_quote(quote=quote, by=owner, signed_on=today())


def finance_contact(customer: Customer, by: Any, email: str, name: str = "陈会计") -> Contact:
    return contact_create(by=by, customer=customer, name=name, title="财务经理", decision_role=DecisionRole.FINANCE,
                          email=email)  # fmt: skip


def pay(customer: Customer, by: Any, amount: str | Decimal, *, days_ago: int = 0, allocate: bool = True, **extra: Any) -> Receipt:
    return receipt_record(customer=customer, by=by, amount=amount, received_on=today() - timedelta(days=days_ago),
                          allocate=allocate, **extra)  # fmt: skip


def fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


def profile_of(customer: Customer) -> CreditProfile:
    return CreditProfile.objects.get(customer=customer)


def assert_money_is_consistent() -> None:
    """The sums kept on invoices and receipts match the rows they sum, and no amount is out of bounds."""
    for invoice in Invoice.objects.filter(kind=InvoiceKind.INVOICE):
        allocated = Allocation.objects.filter(invoice=invoice, reversed_at__isnull=True).aggregate(s=Sum("amount"))["s"]
        credited = Invoice.objects.filter(credited_invoice=invoice).aggregate(s=Sum("amount"))["s"]
        assert invoice.allocated_amount == (allocated or 0), invoice
        assert invoice.credited_amount == (credited or 0), invoice
        assert invoice.open_amount == invoice.amount - invoice.credited_amount - invoice.allocated_amount, invoice
        assert invoice.open_amount >= 0, invoice
    for receipt in Receipt.objects.all():
        allocated = Allocation.objects.filter(receipt=receipt, reversed_at__isnull=True).aggregate(s=Sum("amount"))["s"]
        assert receipt.allocated_amount == (allocated or 0), receipt
        assert 0 <= receipt.allocated_amount <= receipt.amount, receipt
        if receipt.status == ReceiptStatus.REVERSED:
            assert receipt.allocated_amount == 0, receipt


# The positions that see nothing of finance, and the signed-in user who holds no position.
NOBODY_HERE = ["engineer", "project_manager", "maintenance_agent", "maintenance_lead", "marketing", "outsider"]


def persona(personas: Any, name: str) -> Any:
    return personas.outsider if name == "outsider" else personas.by_position()[name]
