"""Who sees and does what in delivery, through the access functions every page, endpoint and export uses;
and how the handover ends the project team's reach into the customer's records."""

import pytest

from touchpoint.customers.access import can_view_contact, can_view_customer, visible_contacts, visible_customers
from touchpoint.delivery.access import (
    can_assign_project,
    can_decide_time,
    can_delete_time,
    can_edit_project,
    can_fill_handover,
    can_log_time,
    can_sign_handover,
    can_view_handover,
    can_view_project,
    can_work_on_task,
    may_create_projects,
    visible_handovers,
    visible_projects,
    visible_time,
)
from touchpoint.delivery.selectors import project_list
from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.services.plan import task_update
from touchpoint.delivery.services.projects import member_add, project_move, project_set_manager
from touchpoint.delivery.services.timesheets import time_log
from touchpoint.delivery.tests.builders import another_project, at_handover, fill_in, fresh, signed, submitted, today
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.sales.access import can_view_contract, visible_contracts
from touchpoint.testing import make_user
from touchpoint.touchpoints.access import can_view_touchpoint, visible_touchpoints
from touchpoint.touchpoints.services import touchpoint_log

pytestmark = pytest.mark.django_db

EVERYONE = ["sales_rep", "other_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent",
            "maintenance_lead", "finance", "marketing", "executive", "admin", "outsider"]  # fmt: skip


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def call(personas):
    """A phone call the sales rep logged with customer A: a record the engineer sees only through the team."""
    return touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                          subject="询问上线时间", contacts=[personas.contact_a])  # fmt: skip


def sees_customer_a(user, personas, contract, call):
    """Which of customer A's records the user can see, each through its own app's access function."""
    return {
        "customer": can_view_customer(user, personas.customer_a) and personas.customer_a.pk in ids(visible_customers(user)),
        "contact": can_view_contact(user, personas.contact_a) and personas.contact_a.pk in ids(visible_contacts(user)),
        "touchpoint": can_view_touchpoint(user, call) and call.pk in ids(visible_touchpoints(user)),
        "contract": can_view_contract(user, contract) and contract.pk in ids(visible_contracts(user)),
    }


ALL_OF_IT = {"customer": True, "contact": True, "touchpoint": True, "contract": True}
NONE_OF_IT = dict.fromkeys(ALL_OF_IT, False)


# --- The team's reach ends with the handover ------------------------------------------------------------


def test_an_engineer_on_the_team_sees_the_customers_records_until_the_handover_is_signed(personas, contract, staffed, call):
    engineer = personas.engineer
    assert sees_customer_a(engineer, personas, contract, call) == ALL_OF_IT
    assert can_view_project(engineer, staffed) and ids(visible_projects(engineer)) == {staffed.pk}

    handover = submitted(staffed, personas)
    # Handing over is still part of the project: the team keeps its reach until both have signed.
    assert sees_customer_a(engineer, personas, contract, call) == ALL_OF_IT
    assert can_view_handover(engineer, handover)
    ho.handover_sign(handover=handover, by=personas.project_manager)
    ho.handover_sign(handover=handover, by=personas.maintenance_lead)

    assert sees_customer_a(engineer, personas, contract, call) == NONE_OF_IT
    project = fresh(staffed)
    assert not can_view_project(engineer, project) and ids(visible_projects(engineer)) == set()
    assert not can_view_handover(engineer, fresh(handover)) and ids(visible_handovers(engineer)) == set()
    assert list(project_list(engineer)) == []


def test_the_owner_and_the_maintenance_centre_keep_seeing_the_customer_after_the_handover(personas, contract, staffed, call):
    signed(staffed, personas)

    for who in ("sales_rep", "maintenance_agent", "maintenance_lead", "project_manager"):
        assert sees_customer_a(getattr(personas, who), personas, contract, call)["customer"], who
    assert sees_customer_a(personas.sales_rep, personas, contract, call) == ALL_OF_IT
    assert can_view_project(personas.sales_rep, fresh(staffed))


def test_an_engineer_on_another_running_project_of_the_customer_keeps_access_through_it(
    personas, catalogue, contract, staffed, call
):
    engineer = personas.engineer
    second = another_project(personas, [catalogue["trade-risk"]])
    member_add(project=second, user=engineer, role="engineer", by=personas.project_manager)

    signed(staffed, personas)

    assert sees_customer_a(engineer, personas, contract, call) == ALL_OF_IT
    assert can_view_contract(engineer, second.contract)
    assert staffed.pk not in ids(visible_projects(engineer).filter(status="in_progress"))
    assert can_view_project(engineer, second)

    project_move(project=second, to="cancelled", by=personas.project_manager, reason="二期取消")

    assert sees_customer_a(engineer, personas, contract, call) == NONE_OF_IT
    assert ids(visible_projects(engineer)) == set()


def test_handing_over_the_other_project_first_leaves_the_engineers_access_alone(personas, catalogue, contract, staffed, call):
    engineer = personas.engineer
    second = another_project(personas, [catalogue["trade-risk"]])
    member_add(project=second, user=engineer, role="engineer", by=personas.project_manager)
    project_set_manager(project=second, manager=personas.project_manager, by=personas.project_manager)

    signed(fresh(second), personas)

    assert sees_customer_a(engineer, personas, contract, call) == ALL_OF_IT
    assert can_view_project(engineer, staffed)


def test_an_engineer_not_on_the_team_sees_nothing_of_the_customer(personas, contract, staffed, call):
    stranger = make_user("engineer2", "engineer", "engineering", "吴工程师")

    assert sees_customer_a(stranger, personas, contract, call) == NONE_OF_IT
    assert ids(visible_projects(stranger)) == set() and not can_view_project(stranger, staffed)


# --- Seeing projects ------------------------------------------------------------------------------------


def test_a_sales_rep_sees_their_own_customers_projects_and_another_rep_sees_none(personas, catalogue, project):
    assert ids(visible_projects(personas.sales_rep)) == {project.pk}
    assert can_view_project(personas.sales_rep, project)
    assert ids(visible_projects(personas.other_rep)) == set()
    assert not can_view_project(personas.other_rep, project)
    assert list(project_list(personas.other_rep)) == []

    theirs = another_project(personas, [catalogue["trade-risk"]], customer=personas.customer_b, owner=personas.other_rep)

    assert ids(visible_projects(personas.sales_rep)) == {project.pk}
    assert ids(visible_projects(personas.other_rep)) == {theirs.pk}
    assert not can_view_project(personas.sales_rep, theirs)


@pytest.mark.parametrize("who", ["sales_manager", "project_manager", "maintenance_agent", "maintenance_lead", "finance",
                                 "executive", "admin"])  # fmt: skip
def test_delivery_management_maintenance_and_finance_see_every_project(personas, catalogue, project, who):
    theirs = another_project(personas, [catalogue["trade-risk"]], customer=personas.customer_b, owner=personas.other_rep)
    user = getattr(personas, who)

    assert ids(visible_projects(user)) == {project.pk, theirs.pk}
    assert can_view_project(user, theirs)


@pytest.mark.parametrize("who", ["marketing", "outsider"])
def test_marketing_and_people_without_a_position_see_no_project(personas, project, who):
    user = getattr(personas, who)
    assert ids(visible_projects(user)) == set() and not can_view_project(user, project)


def test_the_maintenance_centre_sees_handovers_and_only_a_lead_signs_them(personas, catalogue, staffed):
    handover = submitted(staffed, personas)
    agent, lead = personas.maintenance_agent, personas.maintenance_lead

    for user in (agent, lead):
        assert ids(visible_handovers(user)) == {handover.pk} and can_view_handover(user, handover)
        assert can_view_project(user, staffed) and not can_edit_project(user, staffed)
    assert not can_sign_handover(agent, handover)
    assert can_sign_handover(lead, handover)


def test_finance_sees_projects_and_hours_but_decides_on_no_hours(personas, staffed):
    entry = time_log(user=personas.engineer, task=first_task(staffed), work_date=today(), hours="6")

    assert can_view_project(personas.finance, staffed) and not can_edit_project(personas.finance, staffed)
    assert ids(visible_time(personas.finance)) == {entry.pk}
    assert not can_decide_time(personas.finance, entry)
    assert not can_log_time(personas.finance, staffed)


# --- Doing things ---------------------------------------------------------------------------------------


def test_the_project_manager_decides_on_others_hours_and_the_engineer_on_none(personas, staffed):
    task = first_task(staffed)
    theirs = time_log(user=personas.engineer, task=task, work_date=today(), hours="6")
    own = time_log(user=personas.project_manager, task=task, work_date=today(), hours="2")

    assert can_decide_time(personas.project_manager, theirs)
    assert not can_decide_time(personas.project_manager, own)
    assert not can_decide_time(personas.engineer, theirs) and not can_decide_time(personas.engineer, own)
    assert can_decide_time(personas.admin, theirs)
    for who in ("sales_rep", "sales_manager", "maintenance_lead", "executive"):
        assert not can_decide_time(getattr(personas, who), theirs), who


def test_hours_are_seen_by_who_logged_them_and_the_projects_manager(personas, staffed):
    task = first_task(staffed)
    theirs = time_log(user=personas.engineer, task=task, work_date=today(), hours="6")
    own = time_log(user=personas.project_manager, task=task, work_date=today(), hours="2")

    assert ids(visible_time(personas.engineer)) == {theirs.pk}
    assert ids(visible_time(personas.project_manager)) == {theirs.pk, own.pk}
    assert ids(visible_time(personas.sales_rep)) == set()
    assert can_delete_time(personas.engineer, theirs) and not can_delete_time(personas.project_manager, theirs)


def test_team_members_log_time_and_others_do_not(personas, staffed):
    assert can_log_time(personas.engineer, staffed) and can_log_time(personas.project_manager, staffed)
    assert not can_log_time(personas.sales_rep, staffed)  # on the team, but sales log no hours
    assert not can_log_time(make_user("engineer2", "engineer", "engineering"), staffed)


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_projects_manager_and_a_maintenance_lead_may_sign_the_handover(personas, staffed, who):
    handover = submitted(staffed, personas)

    assert can_sign_handover(getattr(personas, who), handover) == (who in ("project_manager", "maintenance_lead"))


def test_each_side_may_sign_once_and_nobody_signs_a_draft(personas, staffed):
    draft = fill_in(at_handover(staffed, personas), personas)
    assert not can_sign_handover(personas.project_manager, draft)
    assert not can_sign_handover(personas.maintenance_lead, draft)

    handover = ho.handover_submit(handover=draft, by=personas.project_manager)
    handover = ho.handover_sign(handover=handover, by=personas.project_manager)

    assert not can_sign_handover(personas.project_manager, handover)
    assert can_sign_handover(personas.maintenance_lead, handover)


def test_the_manager_edits_the_plan_and_an_engineer_moves_only_their_own_tasks(personas, staffed):
    mine, other = staffed.tasks.order_by("start_on", "order")[:2]
    mine = task_update(task=mine, by=personas.project_manager, expected_version=mine.version, assignee=personas.engineer)

    assert can_edit_project(personas.project_manager, staffed) and can_assign_project(personas.project_manager, staffed)
    assert may_create_projects(personas.project_manager) and not may_create_projects(personas.engineer)
    assert not can_edit_project(personas.engineer, staffed) and not can_assign_project(personas.engineer, staffed)
    assert can_work_on_task(personas.engineer, mine) and not can_work_on_task(personas.engineer, other)
    assert not can_edit_project(personas.sales_rep, staffed)


def test_an_archived_project_is_editable_by_nobody(personas, staffed):
    task = task_update(task=first_task(staffed), by=personas.project_manager, expected_version=first_task(staffed).version,
                       assignee=personas.engineer)  # fmt: skip
    handover = signed(staffed, personas)
    project = fresh(staffed)
    task = fresh(task)

    for who in ("project_manager", "admin"):
        user = getattr(personas, who)
        assert not can_edit_project(user, project) and not can_assign_project(user, project), who
        assert can_view_project(user, project)
    assert not can_work_on_task(personas.engineer, task) and not can_work_on_task(personas.admin, task)
    assert not can_log_time(personas.project_manager, project)
    assert not can_fill_handover(personas.project_manager, fresh(handover))


def test_a_cancelled_project_is_editable_by_nobody(personas, staffed):
    project = project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="合同终止")

    assert not can_edit_project(personas.project_manager, project) and not can_edit_project(personas.admin, project)
    assert not can_log_time(personas.engineer, project)


def test_the_handover_is_filled_in_by_who_edits_the_project_while_it_is_a_draft(personas, staffed):
    draft = at_handover(staffed, personas)

    assert can_fill_handover(personas.project_manager, draft)
    assert not can_fill_handover(personas.engineer, draft) and not can_fill_handover(personas.maintenance_lead, draft)

    handover = ho.handover_submit(handover=fill_in(draft, personas), by=personas.project_manager)
    assert not can_fill_handover(personas.project_manager, handover)
