"""Who may see and change opportunities, for every position (and a user with none) × action.

Targets: the sales rep's opportunity on customer A (in the sales manager's team), the other rep's on
customer B (another team), and one on customer B owned by the other rep with the persona on its
opportunity team ("own" through the team). Expected answers are derived from the policy defaults in
`touchpoint.sales.access`: outside the view scope 404, visible but not allowed 403, otherwise done.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse

from touchpoint.core.models import Event
from touchpoint.customers.models import AccountMember, Customer
from touchpoint.org.models import Membership, Team, User
from touchpoint.org.policy import ENTITIES, S
from touchpoint.sales.models import Opportunity, OpportunityMember, Stage
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.testing_matrix import OUTSIDER, PERSONAS, row


def scope_for(user: User, action: str) -> int:
    defaults = ENTITIES["opportunity"].defaults
    positions = Membership.objects.filter(user=user).values_list("position", flat=True)
    return max((defaults.get(p, {}).get(action, S.NONE) for p in positions), default=S.NONE)


def reach(user: User, opportunity: Opportunity) -> int:
    """The narrowest scope that covers the opportunity for the user, as access.py documents 'own'."""
    customer = Customer.all_objects.get(pk=opportunity.customer_id)
    if (opportunity.owner_id == user.pk or OpportunityMember.objects.filter(opportunity=opportunity, user=user).exists()
            or customer.owner_id == user.pk or AccountMember.objects.filter(customer=customer, user=user).exists()):
        return S.OWN
    teams = Team.objects.filter(Q(members=user) | Q(lead=user))
    if User.objects.filter(teams__in=teams, pk=opportunity.owner_id).exists():
        return S.TEAM
    mine = Membership.objects.filter(user=user).values("department_id")
    if Membership.objects.filter(user_id=opportunity.owner_id, department_id__in=mine).exists():
        return S.DEPARTMENT
    return S.ALL


def allowed(user: User, action: str, opportunity: Opportunity) -> bool:
    scope = scope_for(user, action)
    return scope > S.NONE and scope >= reach(user, opportunity)


def expected(user: User, action: str, opportunity: Opportunity, success: int) -> int:
    if not allowed(user, "view", opportunity):
        return 404
    return success if allowed(user, action, opportunity) else 403


@pytest.fixture
def world(personas):
    users = {**personas.by_position(), OUTSIDER: personas.outsider}

    def opened(owner, customer, title):
        return opportunity_create(by=owner, customer=customer, title=title, owner=owner, close_date=date(2027, 6, 30),
                                  amount=Decimal("100"))  # fmt: skip

    a = opened(personas.sales_rep, personas.customer_a, "华泰商机")
    b = opened(personas.other_rep, personas.customer_b, "中信商机")
    own = {}
    for key, user in users.items():
        own[key] = opened(personas.other_rep, personas.customer_b, f"{key}的团队商机")
        OpportunityMember.objects.create(opportunity=own[key], user=user, role="presales")
    return users, a, b, own


def targets(world, persona):
    _users, a, b, own = world
    return [("a", a), ("b", b), ("own", own[persona])]


def state(opportunity):
    return row(opportunity), Event.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_answer_as_the_policy_says(client, world, persona):
    user = world[0][persona]
    client.force_login(user)
    for target, opportunity in targets(world, persona):
        where = f"{persona} on {target}"
        detail = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk]))
        assert detail.status_code == (200 if allowed(user, "view", opportunity) else 404), where
        edit = client.get(reverse("sales:opportunity_edit", args=[opportunity.pk]))
        assert edit.status_code == expected(user, "edit", opportunity, 200), where
        history = client.get(reverse("sales:opportunity_history", args=[opportunity.pk]))
        assert history.status_code == (200 if allowed(user, "view", opportunity) else 404), where


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_board_and_api_show_exactly_the_visible_opportunities(client, world, persona):
    users, a, b, own = world
    user = users[persona]
    client.force_login(user)
    every = [a, b, *own.values()]
    html = client.get(reverse("sales:opportunities"), {"sort": "title"}).content.decode()
    board = client.get(reverse("sales:opportunity_board")).content.decode()
    api = client.get("/api/v1/opportunities/", {"page_size": 100}).json()
    api_ids = {r["id"] for r in api["results"]} if "results" in api else set()
    for opportunity in every:
        visible = allowed(user, "view", opportunity)
        link = reverse("sales:opportunity_detail", args=[opportunity.pk])
        assert (f'href="{link}"' in html) == visible, f"{persona} list {opportunity.title}"
        assert (f'href="{link}"' in board) == visible, f"{persona} board {opportunity.title}"
        assert (opportunity.pk in api_ids) == visible, f"{persona} api {opportunity.title}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_moves_are_refused_outside_the_edit_scope_and_change_nothing(client, world, persona):
    user = world[0][persona]
    client.force_login(user)
    discovery = Stage.objects.get(pipeline__is_default=True, code="discovery")
    for target, opportunity in targets(world, persona):
        before = state(opportunity)
        response = client.post(reverse("sales:opportunity_move", args=[opportunity.pk]), {"stage": discovery.pk})
        assert response.status_code == expected(user, "edit", opportunity, 302), f"{persona} on {target}"
        after = Opportunity.objects.get(pk=opportunity.pk)
        if allowed(user, "edit", opportunity) and allowed(user, "view", opportunity):
            assert after.stage_id == discovery.pk
        else:
            assert state(opportunity) == before
        api = client.post(f"/api/v1/opportunities/{opportunity.pk}/move/", {"stage": "lead_confirm"},
                          content_type="application/json")  # fmt: skip
        assert api.status_code == expected(user, "edit", opportunity, 200), f"{persona} api on {target}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_handoff_and_delete_follow_the_assign_and_delete_scopes(client, world, persona):
    user = world[0][persona]
    client.force_login(user)
    for target, opportunity in targets(world, persona):
        before = state(opportunity)
        original_owner = opportunity.owner_id
        response = client.post(reverse("sales:opportunity_reassign", args=[opportunity.pk]),
                               {"owner": user.pk, "reason": "矩阵测试"})  # fmt: skip
        where = f"{persona} on {target}"
        assert response.status_code == expected(user, "assign", opportunity, 302), where
        if response.status_code != 302:
            assert state(opportunity) == before, where
        Opportunity.all_objects.filter(pk=opportunity.pk).update(owner_id=original_owner)
        before = state(opportunity)
        response = client.post(reverse("sales:opportunity_delete", args=[opportunity.pk]))
        assert response.status_code == expected(user, "delete", opportunity, 302), where
        if response.status_code == 302:
            assert row(opportunity)["deleted_at"] is not None
            Opportunity.all_objects.filter(pk=opportunity.pk).update(deleted_at=None, deleted_by=None)
        else:
            assert state(opportunity) == before, where


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_export_follows_the_export_scope(client, world, persona):
    users, a, b, own = world
    user = users[persona]
    client.force_login(user)
    response = client.get(reverse("sales:opportunity_export"))
    if scope_for(user, "export") == S.NONE:
        assert response.status_code == 403
        return
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    for opportunity in [a, b, *own.values()]:
        assert (opportunity.title in text) == allowed(user, "export", opportunity), f"{persona} {opportunity.title}"


def test_the_expectations_match_the_brief():
    """Rep: own; manager: team/department; executive: all; engineer: the ones they are on the team of."""
    defaults = ENTITIES["opportunity"].defaults
    assert defaults["sales_rep"]["view"] == S.OWN
    assert defaults["sales_manager"]["view"] == S.DEPARTMENT and defaults["sales_manager"]["edit"] == S.TEAM
    assert defaults["executive"]["view"] == S.ALL
    assert defaults["engineer"]["view"] == S.OWN
    assert OUTSIDER not in defaults
