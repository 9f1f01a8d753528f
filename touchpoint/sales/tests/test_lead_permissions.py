"""Who may do what with leads, for every position, derived from the policy defaults in sales/access.py.

Each persona meets four leads: the sales rep's (customer A's team), the other rep's (another team),
an unassigned web lead, and one the persona passed on themselves (created by them, no owner). The
expected answer comes from `allowed()`: the persona's default scope for the action against the
narrowest scope that reaches the lead (own → team → department → all). Outside the view scope a
page answers 404; visible but not allowed, 403; a refused write changes nothing.
"""

import pytest
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from touchpoint.org.models import Membership, Team, User
from touchpoint.org.policy import ENTITIES, S
from touchpoint.sales.models import Lead, LeadSource
from touchpoint.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db

PERSONAS = [
    "sales_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent", "maintenance_lead", "finance",
    "marketing", "executive", "admin", "outsider",
]  # fmt: skip


def scope_for(user: User, action: str) -> int:
    defaults = ENTITIES["lead"].defaults
    positions = Membership.objects.filter(user=user).values_list("position", flat=True)
    return max((defaults.get(position, {}).get(action, S.NONE) for position in positions), default=S.NONE)


def reach(user: User, lead: Lead) -> int:
    if user.pk in (lead.owner_id, lead.created_by_id):
        return S.OWN
    if lead.owner_id is None:
        return S.ALL
    teams = Team.objects.filter(Q(members=user) | Q(lead=user))
    if User.objects.filter(teams__in=teams, pk=lead.owner_id).exists():
        return S.TEAM
    mine = Membership.objects.filter(user=user).values("department_id")
    if Membership.objects.filter(user_id=lead.owner_id, department_id__in=mine).exists():
        return S.DEPARTMENT
    return S.ALL


def allowed(user: User, action: str, lead: Lead) -> bool:
    scope = scope_for(user, action)
    return scope > S.NONE and scope >= reach(user, lead)


def expected(user: User, action: str, lead: Lead, ok: int) -> int:
    if not allowed(user, "view", lead):
        return 404
    return ok if allowed(user, action, lead) else 403


def leads_for(personas, user):
    rep = lead_create(by=personas.sales_rep, owner=personas.sales_rep, company_name="春雨证券", phone="13700000001")
    other = lead_create(by=personas.other_rep, owner=personas.other_rep, company_name="夏荷证券", phone="13700000002")
    web = lead_create(by=None, source=LeadSource.WEB_FORM, company_name="秋月证券", phone="13700000003")
    passed_on = lead_create(by=user, company_name="冬雪证券", phone="13700000004")
    return {"rep": rep, "other": other, "web": web, "passed_on": passed_on}


def attempt(client, method, url, data=None):
    """Make the request and undo whatever it wrote, so that each check starts from the same leads."""
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response.status_code


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_lead_page_answers_as_the_policy_says(client, personas, persona):
    user = personas.outsider if persona == "outsider" else personas.by_position()[persona]
    leads = leads_for(personas, user)
    client.force_login(user)
    problems = []

    def check(label, got, want):
        if got != want:
            problems.append(f"{label}: got {got}, expected {want}")

    may_view = scope_for(user, "view") > S.NONE
    check("list", attempt(client, "GET", reverse("sales:lead_list")), 200 if may_view else 403)
    check("new", attempt(client, "GET", reverse("sales:lead_new")), 200 if scope_for(user, "create") else 403)
    check("export", attempt(client, "GET", reverse("sales:lead_export")), 200 if scope_for(user, "export") else 403)
    if may_view:
        listed = {lead.pk for lead in client.get(reverse("sales:lead_list") + "?status=all").context["page"]}
        want = {lead.pk for lead in leads.values() if allowed(user, "view", lead)}
        check("listed", listed, want)
    for name, lead in leads.items():
        check(f"{name} view", attempt(client, "GET", reverse("sales:lead_detail", args=[lead.pk])), expected(user, "view", lead, 200))
        check(f"{name} edit", attempt(client, "GET", reverse("sales:lead_edit", args=[lead.pk])), expected(user, "edit", lead, 200))
        check(f"{name} delete", attempt(client, "POST", reverse("sales:lead_delete", args=[lead.pk])), expected(user, "delete", lead, 302))
        assign = attempt(client, "POST", reverse("sales:lead_assign", args=[lead.pk]),
                         {"owner": personas.sales_rep.pk, "reason": "调整"})  # fmt: skip
        # A manager may hand a lead only to someone they can see; every assigner here sees the sales rep.
        check(f"{name} assign", assign, expected(user, "assign", lead, 302))
        disqualify = attempt(client, "POST", reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": "无预算"})
        check(f"{name} disqualify", disqualify, expected(user, "edit", lead, 302))
    assert not problems, problems
    # Every refused write was rolled back with the allowed ones: nothing changed.
    assert Lead.objects.count() == 4 and set(Lead.objects.values_list("status", flat=True)) == {"new"}


@pytest.mark.parametrize("persona", ["sales_rep", "engineer", "finance", "marketing"])
def test_the_api_follows_the_same_policy(personas, persona):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = personas.by_position()[persona]
    leads = leads_for(personas, user)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for name, lead in leads.items():
        got = client.get(f"/api/v1/leads/{lead.pk}/").status_code
        assert got == expected(user, "view", lead, 200), name
        with transaction.atomic():
            got = client.post(f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "x"}, format="json").status_code
            transaction.set_rollback(True)
        assert got == expected(user, "edit", lead, 200), name
