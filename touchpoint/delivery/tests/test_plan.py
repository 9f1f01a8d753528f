"""The plan: tasks and what they wait for, the requirements they deliver, milestones and their acceptance."""

from datetime import timedelta
from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.delivery.models import (
    Handover,
    MilestoneStatus,
    ProjectMember,
    ProjectStatus,
    TaskDependency,
    TaskRequirement,
    TaskStatus,
)
from touchpoint.delivery.services.plan import (
    milestone_accept,
    milestone_create,
    milestone_update,
    task_create,
    task_dependencies_set,
    task_requirements_set,
    task_set_status,
    task_update,
)
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.tests.builders import another_project, days_from_today, fresh, refused, today
from touchpoint.finance.selectors import invoice_requests
from touchpoint.sales.models import PaymentMilestone, Requirement, RequirementArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(personas, staffed):
    """Three tasks of the project: B waits for A, C waits for B."""
    pm = personas.project_manager
    a = task_create(project=staffed, by=pm, name="A 环境检查", start_on=today(), end_on=days_from_today(1))
    b = task_create(project=staffed, by=pm, name="B 生产安装", start_on=days_from_today(2), end_on=days_from_today(3), depends_on=[a])
    c = task_create(project=staffed, by=pm, name="C 联调", start_on=days_from_today(4), end_on=days_from_today(5), depends_on=[b])
    return a, b, c


def payment(contract, event):
    return PaymentMilestone.objects.get(contract=contract, trigger_event=event)


def waits_for(task):
    return set(TaskDependency.objects.filter(task=task).values_list("depends_on_id", flat=True))


# --- Tasks ----------------------------------------------------------------------------------------------


def test_a_task_is_planned_with_its_dependencies_and_its_assignee_joins_the_team(personas, staffed, chain):
    _a, b, c = chain
    new_engineer = personas.maintenance_agent

    task = task_create(project=staffed, by=personas.project_manager, name="D 上线", start_on=days_from_today(6),
                       end_on=days_from_today(6), assignee=new_engineer, estimate_hours="7.55", depends_on=[c, b])  # fmt: skip

    assert task.customer_id == staffed.customer_id and task.estimate_hours == Decimal("7.6")
    assert waits_for(task) == {b.pk, c.pk}
    assert ProjectMember.objects.get(project=staffed, user=new_engineer).role == "engineer"
    assert Event.objects.filter(verb="project.task_created", payload__task_id=task.pk).exists()


def test_a_task_cannot_depend_on_itself(personas, chain):
    a, _b, _c = chain
    with refused("depends_on", a):
        task_dependencies_set(task=a, depends_on=[a], by=personas.project_manager)
    assert waits_for(a) == set()


def test_a_dependency_that_closes_a_circle_through_a_chain_is_refused(personas, chain):
    a, b, c = chain

    with refused("depends_on", a, b, c) as caught:
        task_dependencies_set(task=a, depends_on=[c], by=personas.project_manager)

    assert "C 联调" in caught.value.message_dict["depends_on"][0]
    assert (waits_for(a), waits_for(b), waits_for(c)) == (set(), {a.pk}, {b.pk})


def test_a_task_cannot_depend_on_another_projects_task(personas, catalogue, chain):
    a, _b, _c = chain
    other = another_project(personas, [catalogue["trade-risk"]])
    foreign = other.tasks.first()

    with refused("depends_on", a):
        task_dependencies_set(task=a, depends_on=[foreign], by=personas.project_manager)
    with refused("depends_on"):
        task_create(project=a.project, by=personas.project_manager, name="E", start_on=today(), end_on=today(),
                    depends_on=[foreign])  # fmt: skip


def test_replacing_dependencies_drops_the_ones_left_out(personas, chain):
    a, b, c = chain

    task_dependencies_set(task=c, depends_on=[a], by=personas.project_manager)

    assert waits_for(c) == {a.pk}
    assert waits_for(b) == {a.pk}


def test_a_task_cannot_start_or_finish_while_what_it_waits_for_is_open(personas, chain):
    a, b, _c = chain
    engineer = personas.engineer

    for to in (TaskStatus.IN_PROGRESS, TaskStatus.DONE):
        with refused("status", b) as caught:
            task_set_status(task=b, to=to, by=engineer)
        assert "A 环境检查" in caught.value.message_dict["status"][0]

    task_set_status(task=a, to=TaskStatus.IN_PROGRESS, by=engineer)
    with refused("status", b):
        task_set_status(task=b, to=TaskStatus.IN_PROGRESS, by=engineer)
    task_set_status(task=a, to=TaskStatus.DONE, by=engineer)
    started = task_set_status(task=b, to=TaskStatus.IN_PROGRESS, by=engineer)

    assert started.status == TaskStatus.IN_PROGRESS and fresh(a).done_on == today()


def test_a_cancelled_dependency_no_longer_holds_a_task_back(personas, chain):
    a, b, _c = chain
    task_set_status(task=a, to=TaskStatus.CANCELLED, by=personas.project_manager)

    assert task_set_status(task=b, to=TaskStatus.DONE, by=personas.engineer).done_on == today()


def test_a_task_moves_only_along_the_allowed_transitions(personas, chain):
    a, _b, _c = chain
    task_set_status(task=a, to=TaskStatus.DONE, by=personas.engineer)

    for to in (TaskStatus.BLOCKED, TaskStatus.CANCELLED, TaskStatus.TODO, "finished"):
        with refused("status", a):
            task_set_status(task=a, to=to, by=personas.engineer)

    reopened = task_set_status(task=a, to=TaskStatus.IN_PROGRESS, by=personas.engineer)
    assert reopened.done_on is None


def test_a_task_cannot_end_before_it_starts(personas, staffed, chain):
    a, _b, _c = chain
    with refused("end_on"):
        task_create(project=staffed, by=personas.project_manager, name="倒排任务", start_on=today(), end_on=days_from_today(-1))
    with refused("end_on", a):
        task_update(task=a, by=personas.project_manager, expected_version=a.version, end_on=a.start_on - timedelta(days=1))
    with refused("end_on", a):
        task_update(task=a, by=personas.project_manager, expected_version=a.version, start_on=a.end_on + timedelta(days=1))


def test_a_stale_task_edit_is_refused(personas, chain):
    a, _b, _c = chain
    task_update(task=a, by=personas.project_manager, expected_version=a.version, name="A 机房环境检查")

    with refused(None, a):
        task_update(task=a, by=personas.engineer, expected_version=a.version, name="A 覆盖")

    assert fresh(a).name == "A 机房环境检查"


def test_a_task_needs_a_name_and_a_sensible_estimate(personas, staffed):
    pm = personas.project_manager
    with refused("name"):
        task_create(project=staffed, by=pm, name="  ", start_on=today(), end_on=today())
    for estimate in ("-1", "lots", "100000"):
        with refused("estimate_hours"):
            task_create(project=staffed, by=pm, name="估算", start_on=today(), end_on=today(), estimate_hours=estimate)


# --- Requirements ---------------------------------------------------------------------------------------


def test_a_task_links_only_to_the_requirements_in_the_contract_snapshot(personas, contract, chain):
    a, _b, _c = chain
    snapshot = [entry["id"] for entry in contract.scope]
    assert len(snapshot) == 2
    late = Requirement.objects.create(opportunity=contract.opportunity, customer=contract.customer, order=9,
                                      area=RequirementArea.objects.get(code="order_entry"), description="签约后新增的需求")  # fmt: skip

    assert task_requirements_set(task=a, requirement_keys=snapshot, by=personas.project_manager) == sorted(snapshot)
    assert set(TaskRequirement.objects.filter(task=a).values_list("requirement_key", flat=True)) == set(snapshot)

    with refused("requirements"):
        task_requirements_set(task=a, requirement_keys=[snapshot[0], late.pk], by=personas.project_manager)
    assert set(TaskRequirement.objects.filter(task=a).values_list("requirement_key", flat=True)) == set(snapshot)

    task_requirements_set(task=a, requirement_keys=[snapshot[1]], by=personas.project_manager)
    assert list(TaskRequirement.objects.filter(task=a).values_list("requirement_key", flat=True)) == [snapshot[1]]


def test_a_requirement_key_that_is_not_a_number_is_a_field_error(personas, chain):
    a, _b, _c = chain
    with refused("requirements", a):
        task_requirements_set(task=a, requirement_keys=["两融"], by=personas.project_manager)


# --- Milestones -----------------------------------------------------------------------------------------


def test_accepting_a_milestone_makes_its_payment_milestone_due_for_finance(personas, contract, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")
    waiting = payment(contract, "delivery_accepted")
    assert waiting.status == "pending"
    assert waiting.pk not in {m.pk for m in invoice_requests(personas.finance)}

    accepted = milestone_accept(milestone=installation, by=personas.project_manager, note="客户签字")

    assert accepted.status == MilestoneStatus.ACCEPTED and accepted.accepted_on == today()
    assert accepted.accepted_by == personas.project_manager
    assert fresh(waiting).status == "due"
    assert list(accepted.payments_due.all()) == [waiting]
    requests = {m.pk: m for m in invoice_requests(personas.finance)}
    assert waiting.pk in requests and requests[waiting.pk].remainder == waiting.amount
    assert payment(contract, "go_live").status == "pending"
    event = Event.objects.get(verb="project.milestone_accepted")
    assert event.payload["milestone_id"] == installation.pk and event.payload["payments_due"] == [waiting.name]
    assert fresh(staffed).status == ProjectStatus.IN_PROGRESS


def test_accepting_a_milestone_twice_is_refused_and_changes_nothing(personas, contract, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")
    milestone_accept(milestone=installation, by=personas.project_manager, accepted_on=days_from_today(-3))

    with refused("status", installation, payment(contract, "delivery_accepted"), staffed):
        milestone_accept(milestone=installation, by=personas.sales_manager)

    assert fresh(installation).accepted_on == days_from_today(-3)


def test_an_acceptance_date_in_the_future_is_refused(personas, contract, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")

    with refused("accepted_on", installation, payment(contract, "delivery_accepted"), staffed):
        milestone_accept(milestone=installation, by=personas.project_manager, accepted_on=days_from_today(1))


def test_accepting_go_live_starts_the_handover(personas, contract, staffed):
    go_live = staffed.milestones.get(delivery_event="go_live")

    milestone_accept(milestone=go_live, by=personas.project_manager)

    assert fresh(staffed).status == ProjectStatus.HANDOVER
    assert Handover.objects.get(project=staffed).status == "draft"
    assert payment(contract, "go_live").status == "due"


def test_an_accepted_milestone_can_no_longer_be_changed(personas, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")
    milestone_accept(milestone=installation, by=personas.project_manager)

    with refused(None, installation):
        milestone_update(milestone=installation, by=personas.project_manager, due_on=days_from_today(30))


def test_a_milestone_needs_a_name_a_date_and_a_known_event(personas, staffed):
    pm = personas.project_manager
    with refused("name"):
        milestone_create(project=staffed, by=pm, name=" ", due_on=today())
    with refused("due_on"):
        milestone_create(project=staffed, by=pm, name="中期检查", due_on=None)
    with refused("delivery_event"):
        milestone_create(project=staffed, by=pm, name="中期检查", due_on=today(), delivery_event="half_time")

    created = milestone_create(project=staffed, by=pm, name="中期检查", due_on=days_from_today(20))
    assert created.customer_id == staffed.customer_id and created.status == MilestoneStatus.OPEN


def test_nothing_in_the_plan_changes_once_the_project_is_cancelled(personas, chain):
    a, b, _c = chain
    project = a.project
    project_move(project=project, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="合同终止")

    with refused(None, a):
        task_set_status(task=a, to=TaskStatus.DONE, by=personas.engineer)
    with refused(None, a):
        task_update(task=a, by=personas.project_manager, expected_version=a.version, name="改名")
    with refused(None, b):
        task_dependencies_set(task=b, depends_on=[], by=personas.project_manager)
    with refused(None):
        milestone_accept(milestone=project.milestones.first(), by=personas.project_manager)
