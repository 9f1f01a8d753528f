"""Who may do what on the finance pages, for every position, derived from the policy defaults.

Each persona meets the receivables of customer A (the sales rep's, in the sales manager's team) and
of customer B (the other rep's, another team): an invoice, a receipt with money to allocate, the
customer's credit page. Outside the view scope a page answers 404; visible but not allowed, 403; a
refused write changes nothing. Engineers, project managers, maintenance and marketing see none of it.
"""

from decimal import Decimal

import pytest
from django.db import transaction

from touchpoint.core.models import Event
from touchpoint.finance.models import Allocation, CreditProfile, Invoice, Receipt
from touchpoint.finance.services.credit import credit_profile_for
from touchpoint.finance.services.receipts import receipt_record
from touchpoint.finance.tests.conftest import active_contract, issue, today
from touchpoint.org.policy import S
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.tests.test_quote_contract_permissions import PERSONAS, allowed, scope_for

pytestmark = pytest.mark.django_db


def attempt(client, method, url, data=None):
    """Make the request and undo whatever it wrote, so that each check starts from the same records."""
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response


def receivables(personas, rep, customer, module):
    opportunity = opportunity_create(by=rep, customer=customer, title="回款权限", owner=rep, close_date=today(),
                                     amount=Decimal("100000"))  # fmt: skip
    contract = active_contract(personas, opportunity, [module], rep=rep)
    invoice = issue(contract.milestones.get(order=1), personas.finance, "10000")
    receipt = receipt_record(customer=customer, by=personas.finance, amount="3000", received_on=today(), allocate=False)
    credit_profile_for(customer)
    return invoice, receipt


@pytest.fixture
def books(personas, catalogue):
    module = catalogue["trade-core"]
    return {
        "a": receivables(personas, personas.sales_rep, personas.customer_a, module),
        "b": receivables(personas, personas.other_rep, personas.customer_b, module),
    }


def status(user, entity, action, owner_id, ok):
    if not allowed(user, entity, "view", owner_id):
        return 404
    return ok if allowed(user, entity, action, owner_id) else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_position_on_invoices_receipts_and_credit(client, personas, books, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    for key, (invoice, receipt) in books.items():
        owner_id = invoice.customer.owner_id
        where = f"{persona} on {key}"
        before = (Event.objects.count(), Invoice.objects.count(), Allocation.objects.count(), CreditProfile.objects.count())
        seen = attempt(client, "GET", f"/finance/invoices/{invoice.pk}/").status_code
        assert seen == status(user, "invoice", "view", owner_id, 200), where
        credit_note = {"amount": "100", "reason": "开票金额有误", "tax_number": ""}
        assert attempt(client, "POST", f"/finance/invoices/{invoice.pk}/credit-note/", credit_note).status_code == status(
            user, "invoice", "edit", owner_id, 302
        ), where
        seen = attempt(client, "GET", f"/finance/receipts/{receipt.pk}/").status_code
        assert seen == status(user, "receipt", "view", owner_id, 200), where
        allocation = {f"amount_{invoice.pk}": "1000"}
        assert attempt(client, "POST", f"/finance/receipts/{receipt.pk}/allocate/", allocation).status_code == status(
            user, "receipt", "edit", owner_id, 302
        ), where
        sees_customer = allowed(user, "customer", "view", owner_id)
        reads = allowed(user, "invoice", "view", owner_id) or allowed(user, "credit", "view", owner_id)
        page = attempt(client, "GET", f"/finance/customers/{invoice.customer_id}/").status_code
        assert page == (200 if sees_customer and reads else 404), where
        terms = {"credit_limit": "1", "payment_terms_days": "1", "dunning_language": "en", "version": 1}
        wrote = attempt(client, "POST", f"/finance/customers/{invoice.customer_id}/terms/", terms).status_code
        assert wrote == (404 if not (sees_customer and reads) else 302 if allowed(user, "credit", "edit", owner_id) else 403), where
        # Refused or rolled back, nothing stayed.
        assert before == (Event.objects.count(), Invoice.objects.count(), Allocation.objects.count(), CreditProfile.objects.count())
    for url, entity in [("/finance/invoices/", "invoice"), ("/finance/receipts/", "receipt"), ("/finance/credit/", "credit"),
                        ("/finance/ageing/", "invoice"), ("/finance/collections/", "invoice"),
                        ("/finance/dunning/letters/", "invoice")]:  # fmt: skip
        assert client.get(url).status_code == (200 if scope_for(user, entity, "view") > S.NONE else 403), f"{persona} {url}"
    export = client.get("/finance/invoices/export/?format=csv")
    assert export.status_code == (200 if scope_for(user, "invoice", "export") > S.NONE else 403), persona
    if export.status_code == 200:
        body = b"".join(export.streaming_content).decode()
        for key, (invoice, _receipt) in books.items():
            assert (invoice.number in body) == allowed(user, "invoice", "export", invoice.customer.owner_id), f"{persona} {key}"
    recording = client.get("/finance/receipts/new/")
    assert recording.status_code == (200 if scope_for(user, "receipt", "create") > S.NONE else 403), persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_those_who_may_issue_invoices_see_the_requests_and_issue_them(client, personas, books, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    invoice, _receipt = books["a"]
    milestone = invoice.milestone
    may_view = scope_for(user, "invoice", "view") > S.NONE or scope_for(user, "invoice", "create") > S.NONE
    assert client.get("/finance/invoice-requests/").status_code == (200 if may_view else 403), persona
    sees_contract = allowed(user, "contract", "view", milestone.contract.owner_id)
    response = attempt(client, "POST", f"/finance/invoice-requests/{milestone.pk}/issue/", {
        "amount": "1000", "vat_type": "special", "tax_rate": "6", "issued_on": today().isoformat(),
    })  # fmt: skip
    if not (may_view and sees_contract):
        assert response.status_code == 404, persona
    else:
        assert response.status_code == (302 if scope_for(user, "invoice", "create") > S.NONE else 403), persona
    assert Invoice.objects.filter(milestone=milestone).count() == 1
    assert Receipt.objects.count() == 2


def test_a_create_scope_narrower_than_the_view_scope_is_enforced_per_record(client, personas, books):
    """A sales manager given 'issue invoices: own' may issue on their own customers only, though they see more."""
    from touchpoint.org.models import PolicyRule
    from touchpoint.org.policy import invalidate

    PolicyRule.objects.create(position="sales_manager", entity="invoice", action="create", scope=S.OWN)
    PolicyRule.objects.create(position="sales_manager", entity="receipt", action="create", scope=S.OWN)
    invalidate()
    client.force_login(personas.sales_manager)
    invoice, _receipt = books["b"]  # the other rep's customer: in the manager's department, not theirs
    milestone = invoice.milestone
    issued = attempt(client, "POST", f"/finance/invoice-requests/{milestone.pk}/issue/", {
        "amount": "1000", "vat_type": "special", "tax_rate": "6", "issued_on": today().isoformat(),
    })  # fmt: skip
    assert issued.status_code == 403
    assert client.get(f"/finance/receipts/new/?customer={invoice.customer_id}").status_code == 403
    assert Invoice.objects.filter(milestone=milestone).count() == 1
