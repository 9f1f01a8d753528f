import pytest
from django.core.cache import cache

from touchpoint.customers.access import can_edit_customer, visible_customers
from touchpoint.org.models import Membership, PolicyRule
from touchpoint.org.policy import CACHE_KEY, S, effective_table, grant
from touchpoint.org.services import policy_set_scope
from touchpoint.testing import department


@pytest.mark.django_db
def test_rep_sees_own_customers_only(personas):
    assert list(visible_customers(personas.sales_rep)) == [personas.customer_a]


@pytest.mark.django_db
def test_manager_sees_department_customers(personas):
    assert set(visible_customers(personas.sales_manager)) == {personas.customer_a, personas.customer_b}


@pytest.mark.django_db
def test_manager_edits_team_members_customer_but_not_another_teams(personas):
    assert can_edit_customer(personas.sales_manager, personas.customer_a)
    assert not can_edit_customer(personas.sales_manager, personas.customer_b)


@pytest.mark.django_db
def test_account_team_membership_grants_own_scope(personas):
    from touchpoint.customers.services import account_member_set

    assert not visible_customers(personas.engineer).exists()
    account_member_set(customer=personas.customer_b, user=personas.engineer, role="engineer", by=personas.admin)
    assert list(visible_customers(personas.engineer)) == [personas.customer_b]


@pytest.mark.django_db
def test_position_less_user_sees_nothing(personas):
    assert not visible_customers(personas.outsider).exists()


@pytest.mark.django_db
def test_the_widest_scope_of_several_positions_wins(personas):
    Membership.objects.create(user=personas.sales_rep, department=department("maintenance"), position="maintenance_agent")
    personas.sales_rep.refresh_from_db()
    assert grant(personas.sales_rep, "customer", "view").scope == S.ALL


@pytest.mark.django_db
def test_department_scope_applies_to_the_department_holding_the_position(personas):
    given = grant(personas.sales_manager, "customer", "view")
    assert given.scope == S.DEPARTMENT
    assert given.department_ids == {department("sales").pk}


@pytest.mark.django_db
def test_inactive_user_gets_no_scope(personas):
    personas.admin.is_active = False
    assert grant(personas.admin, "customer", "view").scope == S.NONE


@pytest.mark.django_db
def test_policy_change_takes_effect_at_once_and_is_logged(personas, django_assert_num_queries):
    assert not visible_customers(personas.sales_rep).filter(pk=personas.customer_b.pk).exists()
    changed = policy_set_scope(position="sales_rep", entity="customer", action="view", scope=S.ALL, by=personas.admin)
    assert changed
    assert cache.get(CACHE_KEY) is None
    next_request_user = type(personas.sales_rep).objects.get(pk=personas.sales_rep.pk)
    assert visible_customers(next_request_user).filter(pk=personas.customer_b.pk).exists()
    assert PolicyRule.objects.get(position="sales_rep", entity="customer", action="view").scope == S.ALL


@pytest.mark.django_db
def test_the_policy_table_is_read_from_the_cache(personas, django_assert_num_queries):
    effective_table()
    with django_assert_num_queries(0):
        effective_table()


@pytest.mark.django_db
def test_setting_an_unchanged_scope_writes_nothing(personas):
    assert not policy_set_scope(position="sales_rep", entity="customer", action="view", scope=S.OWN, by=personas.admin)
    assert not PolicyRule.objects.exists()


@pytest.mark.django_db
def test_unknown_policy_cell_is_refused(personas):
    with pytest.raises(ValueError):
        policy_set_scope(position="sales_rep", entity="spaceship", action="view", scope=S.ALL, by=personas.admin)
