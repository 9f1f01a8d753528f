"""Who may do what with quotes and contracts, for every position, derived from the policy defaults.

Each persona meets a quote and a contract of the sales rep (customer A, the sales manager's team)
and of the other rep (customer B, another team). The expected answer comes from the persona's
default scope for the action against the narrowest scope that reaches the record (own → team →
department → all): outside the view scope a page answers 404; visible but not allowed, 403; a
refused write changes nothing.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from touchpoint.org.models import Membership, Team, User
from touchpoint.org.policy import ENTITIES, S
from touchpoint.sales.models import Contract, Quote
from touchpoint.sales.services.contracts import contract_from_quote
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.quotes import quote_accept, quote_create, quote_line_add, quote_mark_sent, quote_submit

pytestmark = pytest.mark.django_db

PERSONAS = [
    "sales_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent", "maintenance_lead", "finance",
    "marketing", "executive", "admin", "outsider",
]  # fmt: skip


def scope_for(user: User, entity: str, action: str) -> int:
    defaults = ENTITIES[entity].defaults
    positions = Membership.objects.filter(user=user).values_list("position", flat=True)
    return max((defaults.get(position, {}).get(action, S.NONE) for position in positions), default=S.NONE)


def reach(user: User, owner_id: int) -> int:
    if user.pk == owner_id:
        return S.OWN
    teams = Team.objects.filter(Q(members=user) | Q(lead=user))
    if User.objects.filter(teams__in=teams, pk=owner_id).exists():
        return S.TEAM
    mine = Membership.objects.filter(user=user).values("department_id")
    if Membership.objects.filter(user_id=owner_id, department_id__in=mine).exists():
        return S.DEPARTMENT
    return S.ALL


def allowed(user: User, entity: str, action: str, owner_id: int) -> bool:
    scope = scope_for(user, entity, action)
    return scope > S.NONE and scope >= reach(user, owner_id)


def expected(user: User, entity: str, action: str, owner_id: int, ok: int) -> int:
    if not allowed(user, entity, "view", owner_id):
        return 404
    return ok if allowed(user, entity, action, owner_id) else 403


def deal(personas, rep, customer, contact, module) -> tuple[Quote, Quote, Contract]:
    """A draft quote, and an accepted one with its draft contract, on an opportunity of `rep`."""
    opportunity = opportunity_create(by=rep, customer=customer, title="权限测试", owner=rep,
                                     close_date=timezone.localdate(), amount=Decimal("100000"))  # fmt: skip
    draft = quote_create(opportunity=opportunity, by=rep, contact=contact)
    quote_line_add(quote=draft, by=rep, module=module)
    accepted = quote_create(opportunity=opportunity, by=rep, contact=contact)
    quote_line_add(quote=accepted, by=rep, module=module)
    accepted = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=accepted, by=rep), by=rep), by=rep)
    contract = contract_from_quote(quote=accepted, by=rep, signed_on=timezone.localdate())
    return draft, accepted, contract


def attempt(client, method, url, data=None):
    """Make the request and undo whatever it wrote, so that each check starts from the same records."""
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response


@pytest.fixture
def deals(personas, catalogue):
    module = catalogue["trade-core"]
    mine = deal(personas, personas.sales_rep, personas.customer_a, personas.contact_a, module)
    other = deal(personas, personas.other_rep, personas.customer_b, personas.contact_b, module)
    return {"a": mine, "b": other}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_position_on_quotes_and_contracts(client, personas, deals, catalogue, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    for key, (draft, _accepted, contract) in deals.items():
        owner_id = draft.owner_id
        where = f"{persona} on {key}"
        # Quotes: view (page and PDF), edit (a line, a submit), create (on the opportunity).
        assert attempt(client, "GET", f"/sales/quotes/{draft.pk}/").status_code == expected(user, "quote", "view", owner_id, 200), where
        assert attempt(client, "GET", f"/sales/quotes/{draft.pk}/pdf/").status_code == expected(user, "quote", "view", owner_id, 200), where
        line = {"kind": "licence", "module": catalogue["trade-risk"].pk, "quantity": "1", "discount_percent": "0"}
        status = attempt(client, "POST", f"/sales/quotes/{draft.pk}/lines/", line).status_code
        assert status == expected(user, "quote", "edit", owner_id, 302), where
        assert attempt(client, "POST", f"/sales/quotes/{draft.pk}/submit/", {"reason": ""}).status_code == expected(
            user, "quote", "edit", owner_id, 302
        ), where
        opportunity_visible = allowed(user, "opportunity", "view", owner_id)
        creating = attempt(client, "GET", f"/sales/opportunities/{draft.opportunity_id}/quotes/new/").status_code
        if not opportunity_visible:
            assert creating == 404, where
        else:
            assert creating == (200 if allowed(user, "quote", "create", owner_id) else 403), where
        # Contracts: view, edit (heading, confirm), create from the accepted quote, export.
        assert attempt(client, "GET", f"/sales/contracts/{contract.pk}/").status_code == expected(
            user, "contract", "view", owner_id, 200
        ), where
        assert attempt(client, "POST", f"/sales/contracts/{contract.pk}/confirm/").status_code == expected(
            user, "contract", "edit", owner_id, 302
        ), where
        heading = {"title": "改名", "signed_on": "", "terms": "", "version": contract.version}
        assert attempt(client, "POST", f"/sales/contracts/{contract.pk}/heading/", heading).status_code == expected(
            user, "contract", "edit", owner_id, 302
        ), where
        # Refused writes changed nothing.
        draft.refresh_from_db()
        contract.refresh_from_db()
        assert draft.lines.count() == 1 and draft.status == "draft", where
        assert contract.status == "draft" and contract.title == "权限测试", where
    export = attempt(client, "GET", "/sales/contracts/export/?format=csv")
    may_export = scope_for(user, "contract", "export") > S.NONE
    assert export.status_code == (200 if may_export else 403)
    if may_export:
        body = b"".join(export.streaming_content).decode()
        for key, (_draft, _accepted, contract) in deals.items():
            assert (contract.number in body) == allowed(user, "contract", "export", contract.owner_id), f"{persona} {key}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_position_making_a_contract_from_an_accepted_quote(client, personas, deals, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    for key, (_draft, accepted, _contract) in deals.items():
        Contract.objects.filter(quote=accepted).delete()
        if not allowed(user, "quote", "view", accepted.owner_id):
            want = 404
        elif allowed(user, "contract", "create", accepted.owner_id) and allowed(user, "opportunity", "view", accepted.owner_id):
            want = 200
        else:
            want = 403
        assert attempt(client, "GET", f"/sales/quotes/{accepted.pk}/contract/new/").status_code == want, f"{persona} {key}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_position_on_a_discount_request_of_the_rep(client, personas, catalogue, persona):
    from touchpoint.sales.models import DiscountApproval

    rep = personas.sales_rep
    opportunity = opportunity_create(by=rep, customer=personas.customer_a, title="折扣审批", owner=rep,
                                     close_date=timezone.localdate(), amount=Decimal("100000"))  # fmt: skip
    quote = quote_create(opportunity=opportunity, by=rep)
    quote_line_add(quote=quote, by=rep, module=catalogue["trade-core"], discount_percent=Decimal("30"))
    quote_submit(quote=quote, by=rep)
    user = getattr(personas, persona)
    client.force_login(user)
    sees_quote = allowed(user, "quote", "view", rep.pk)
    may_decide = user.pk != rep.pk and allowed(user, "discount_approval", "edit", rep.pk)
    inbox = client.get("/sales/approvals/")
    assert inbox.status_code == 200
    assert (quote.number in inbox.content.decode()) == may_decide, persona
    response = attempt(client, "POST", f"/sales/quotes/{quote.pk}/decide/", {"decision": "approve", "comment": "同意"})
    assert response.status_code == (302 if may_decide else 403 if sees_quote else 404), persona
    assert DiscountApproval.objects.get(quote=quote).status == "pending"
