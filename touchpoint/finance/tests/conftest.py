"""Finance fixtures: an active contract on customer A whose signing milestone is due, and builders."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.finance.models import Invoice
from touchpoint.finance.services.invoices import invoice_issue
from touchpoint.sales.models import Contract, PaymentMilestone
from touchpoint.sales.services.contracts import contract_confirm, contract_from_quote
from touchpoint.sales.services.quotes import quote_accept, quote_create, quote_line_add, quote_mark_sent, quote_submit
from touchpoint.sales.tests.conftest import catalogue, opportunity  # noqa: F401  (fixtures)


def active_contract(personas: Any, opportunity: Any, modules: list[Any], *, rep: Any = None) -> Contract:  # noqa: F811
    """A quote for the modules, accepted, made a contract signed today and confirmed (30/40/20/10 milestones)."""
    rep = rep or personas.sales_rep
    quote = quote_create(opportunity=opportunity, by=rep, contact=None)
    for module in modules:
        quote_line_add(quote=quote, by=rep, module=module)
    quote = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=quote, by=rep), by=rep), by=rep)
    contract = contract_from_quote(quote=quote, by=rep, signed_on=timezone.localdate())
    return contract_confirm(contract=contract, by=rep)


@pytest.fixture
def contract(personas, opportunity, catalogue) -> Contract:  # noqa: F811
    """1,378,000.00 incl. tax; the first milestone (30%, 413,400.00) is due."""
    return active_contract(personas, opportunity, [catalogue["trade-core"], catalogue["trade-margin"]])


@pytest.fixture
def due_milestone(contract) -> PaymentMilestone:
    return contract.milestones.get(order=1)


def issue(milestone: PaymentMilestone, by: Any, amount: str | Decimal | None = None, *, days_ago: int = 0,
          due_days_ago: int | None = None, **extra: Any) -> Invoice:  # fmt: skip
    """Issue an invoice, optionally back-dated, and with its due date moved to `due_days_ago` days before today."""
    issued_on = timezone.localdate() - timedelta(days=days_ago)
    invoice = invoice_issue(milestone=milestone, by=by, amount=amount, issued_on=issued_on, **extra)
    if due_days_ago is not None:
        Invoice.objects.filter(pk=invoice.pk).update(due_on=timezone.localdate() - timedelta(days=due_days_ago))
        invoice.refresh_from_db()
    return invoice


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def api_as():
    """An API client signed in with the user's token, asking for answers in `language`."""

    def client_for(user: Any, language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
