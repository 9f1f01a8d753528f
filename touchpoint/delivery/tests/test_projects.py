"""Opening a project from a signed contract, its team and manager, and its status."""

from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from touchpoint.core.models import Event, EventKind
from touchpoint.customers.access import can_view_customer
from touchpoint.customers.models import AccountMember, Customer
from touchpoint.customers.services import account_member_set, customer_service_handoff
from touchpoint.delivery.models import (
    DeliverySettings,
    DocumentKind,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    TemplatePhase,
)
from touchpoint.delivery.services.documents import document_upload
from touchpoint.delivery.services.plan import task_create, task_set_status
from touchpoint.delivery.services.projects import (
    member_add,
    member_remove,
    project_move,
    project_open,
    project_set_manager,
)
from touchpoint.delivery.services.timesheets import time_log
from touchpoint.delivery.tests.builders import another_project, fresh, new_opportunity, pdf, refused, today
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.sales.models import ContractStatus, LineKind, Product
from touchpoint.sales.services.contracts import contract_confirm, contract_from_quote
from touchpoint.sales.services.quotes import (
    quote_accept,
    quote_addendum_create,
    quote_create,
    quote_line_add,
    quote_mark_sent,
    quote_submit,
)

pytestmark = pytest.mark.django_db

DEFAULT_PHASES = ["需求确认", "开发/定制", "安装部署", "联调测试", "培训", "上线验收"]
DEFAULT_DAYS = [10, 30, 10, 15, 5, 10]


def grant_of(project, user):
    return AccountMember.objects.filter(customer_id=project.customer_id, user=user).first()


# --- Opening --------------------------------------------------------------------------------------------


def test_activating_a_contract_opens_its_project_from_the_default_template(personas, contract):
    project = Project.objects.get(contract=contract)

    assert project.customer == personas.customer_a
    assert project.template == ProjectTemplate.objects.get(is_default=True)
    assert project.status == ProjectStatus.PLANNING
    assert project.name == contract.title == "两融系统建设"
    assert project.number.startswith(f"P-{today().year}-")
    assert project.start_on == contract.signed_on == today()
    assert project.hourly_cost == DeliverySettings.current().hourly_cost
    assert project.manager is None
    assert list(project.members.values_list("user", "role")) == [(personas.sales_rep.pk, "sales")]
    event = Event.objects.get(verb="project.created")
    assert event.customer_id == personas.customer_a.pk and event.target_id == project.pk
    assert event.actor == personas.sales_rep
    assert event.payload["contract"] == contract.number


def test_a_template_naming_the_product_wins_over_the_default(personas, opportunity, catalogue):
    trading = Product.objects.get(code="trade")
    other = Product.objects.create(code="quote", name="行情系统", name_en="Market data")
    for_other = ProjectTemplate.objects.create(name="行情实施", name_en="Market data rollout")
    for_other.products.add(other)
    TemplatePhase.objects.create(template=for_other, order=1, name="行情部署", name_en="Deploy", duration_days=5)
    retired = ProjectTemplate.objects.create(name="旧交易实施", name_en="Old trading rollout", is_active=False)
    retired.products.add(trading)
    TemplatePhase.objects.create(template=retired, order=1, name="旧阶段", name_en="Old", duration_days=5)
    chosen = ProjectTemplate.objects.create(name="交易系统实施", name_en="Trading rollout")
    chosen.products.add(trading)
    TemplatePhase.objects.create(template=chosen, order=1, name="部署", name_en="Deploy", duration_days=4,
                                 tasks="安装 | 16\n调试 | 8", milestone_name="部署验收", milestone_event="delivery_accepted")  # fmt: skip
    TemplatePhase.objects.create(template=chosen, order=2, name="上线", name_en="Go-live", duration_days=2,
                                 milestone_name="上线验收", milestone_event="go_live")  # fmt: skip

    contract = active_contract(personas, opportunity, [catalogue["trade-core"], catalogue["trade-margin"]])

    project = Project.objects.get(contract=contract)
    assert project.template == chosen
    assert list(project.phases.values_list("name", flat=True)) == ["部署", "上线"]
    assert list(project.tasks.order_by("order").values_list("name", "estimate_hours")) == [
        ("安装", Decimal("16.0")), ("调试", Decimal("8.0")), ("上线", Decimal("0.0")),
    ]  # fmt: skip
    assert list(project.milestones.values_list("name", "delivery_event")) == [("部署验收", "delivery_accepted"), ("上线验收", "go_live")]
    assert project.planned_end_on == project.start_on + timedelta(days=5)


def test_without_a_matching_template_the_default_one_is_used(personas, opportunity, catalogue):
    other = Product.objects.create(code="quote", name="行情系统", name_en="Market data")
    ProjectTemplate.objects.create(name="行情实施", name_en="Market data rollout").products.add(other)

    contract = active_contract(personas, opportunity, [catalogue["trade-core"]])

    assert Project.objects.get(contract=contract).template == ProjectTemplate.objects.get(is_default=True)


def test_an_addendum_contract_does_not_open_a_project(personas, contract, project):
    rep = personas.sales_rep
    addendum = quote_addendum_create(contract=contract, by=rep, terms="增补：港股通模块")
    quote_line_add(quote=addendum, by=rep, kind=LineKind.SERVICE, description="港股通定制开发", unit_price=Decimal("60000"))
    addendum = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=addendum, by=rep), by=rep), by=rep)
    signed = contract_confirm(contract=contract_from_quote(quote=addendum, by=rep, signed_on=today()), by=rep)

    assert signed.status == ContractStatus.ACTIVE
    assert list(Project.objects.values_list("pk", flat=True)) == [project.pk]
    assert not Project.objects.filter(contract=signed).exists()
    assert Event.objects.filter(verb="project.created").count() == 1


def test_only_an_active_contract_gets_a_project_and_only_one(personas, opportunity, catalogue, contract, project):
    with refused("contract"):
        project_open(contract=contract, by=personas.project_manager)

    rep = personas.sales_rep
    quote = quote_create(opportunity=new_opportunity(personas.customer_a, rep), by=rep, contact=None)
    quote_line_add(quote=quote, by=rep, module=catalogue["trade-risk"])
    quote = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=quote, by=rep), by=rep), by=rep)
    draft = contract_from_quote(quote=quote, by=rep, signed_on=today())
    with refused("contract"):
        project_open(contract=draft, by=personas.project_manager)


def test_a_cancelled_projects_contract_may_be_opened_again(personas, contract, project):
    project_move(project=project, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="客户推迟建设")

    again = project_open(contract=contract, by=personas.project_manager, manager=personas.project_manager)

    assert again.pk != project.pk and again.status == ProjectStatus.PLANNING
    assert again.manager == personas.project_manager
    assert fresh(project).status == ProjectStatus.CANCELLED


# --- The plan a template lays out -----------------------------------------------------------------------


def test_phases_tasks_and_milestones_are_laid_out_one_after_another(project):
    phases = list(project.phases.order_by("order"))
    assert [p.name for p in phases] == DEFAULT_PHASES
    assert project.tasks.count() == 16

    day = project.start_on
    for phase, length in zip(phases, DEFAULT_DAYS, strict=True):
        end = day + timedelta(days=length - 1)
        tasks = list(phase.tasks.order_by("order"))
        assert tasks[0].start_on == day, phase.name
        assert tasks[-1].end_on == end, phase.name
        for earlier, later in pairwise(tasks):
            assert earlier.end_on < later.start_on, (earlier.name, later.name)
        for milestone in phase.milestones.all():
            assert milestone.due_on == end
        day = end + timedelta(days=1)
    assert project.planned_end_on == day - timedelta(days=1) == project.start_on + timedelta(days=79)

    chain = list(project.tasks.order_by("order"))
    assert list(chain[0].depends_on.all()) == []
    for before, after in pairwise(chain):
        assert list(after.depends_on.all()) == [before], after.name
    assert chain[0].name == "需求调研" and chain[0].estimate_hours == Decimal("24.0")
    assert list(project.milestones.order_by("due_on").values_list("name", "delivery_event")) == [
        ("需求确认完成", ""), ("安装验收", "delivery_accepted"), ("上线验收", "go_live"),
    ]  # fmt: skip


# --- The project manager --------------------------------------------------------------------------------


def test_naming_the_project_manager_is_a_logged_handoff_that_moves_the_service_owner(personas, project):
    pm = personas.project_manager

    project_set_manager(project=project, manager=pm, by=personas.sales_manager)

    project = fresh(project)
    assert project.manager == pm and project.version == 2
    assert ProjectMember.objects.get(project=project, user=pm).role == "manager"
    event = Event.objects.get(verb="project.manager_set")
    assert event.kind == EventKind.HANDOFF
    assert event.actor == personas.sales_manager and event.customer_id == project.customer_id
    assert event.department_id == pm.department_id
    assert event.payload["from"] == "" and event.payload["to_id"] == pm.pk
    assert event.payload["to_department"] == str(pm.department)
    customer = Customer.objects.get(pk=project.customer_id)
    assert customer.service_owner == pm and customer.service_department == pm.department
    handoff = Event.objects.get(verb="customer.service_handoff")
    assert handoff.kind == EventKind.HANDOFF
    assert handoff.payload["to_id"] == pm.pk and handoff.payload["from_id"] is None
    assert grant_of(project, pm).expires_with == f"project:{project.pk}"


def test_a_new_project_manager_needs_a_reason_and_takes_over_the_service(personas, staffed):
    other_pm = personas.engineer
    before_events = Event.objects.filter(verb="project.manager_set").count()

    with refused("reason", staffed, Customer.objects.get(pk=staffed.customer_id)):
        project_set_manager(project=staffed, manager=other_pm, by=personas.sales_manager)

    project_set_manager(project=staffed, manager=other_pm, by=personas.sales_manager, reason="孙项目调往北京项目")

    assert fresh(staffed).manager == other_pm
    roles = dict(ProjectMember.objects.filter(project=staffed).values_list("user", "role"))
    assert roles[other_pm.pk] == "manager" and roles[personas.project_manager.pk] == "engineer"
    event = Event.objects.filter(verb="project.manager_set").latest("id")
    assert Event.objects.filter(verb="project.manager_set").count() == before_events + 1
    assert event.payload["from_id"] == personas.project_manager.pk and event.payload["to_id"] == other_pm.pk
    assert event.payload["reason"] == "孙项目调往北京项目"
    assert Customer.objects.get(pk=staffed.customer_id).service_owner == other_pm


def test_the_maintenance_centre_keeps_the_service_when_a_new_project_gets_its_manager(personas, catalogue, project):
    lead = personas.maintenance_lead
    customer_service_handoff(customer=personas.customer_a, to_user=lead, to_department=lead.department,
                             by=lead, reason="维护中心接手")  # fmt: skip

    project_set_manager(project=project, manager=personas.project_manager, by=personas.project_manager)

    customer = Customer.objects.get(pk=project.customer_id)
    assert customer.service_owner == lead and customer.service_department == lead.department
    assert fresh(project).manager == personas.project_manager


def test_naming_the_same_manager_again_changes_nothing(personas, staffed):
    events = Event.objects.count()

    project_set_manager(project=staffed, manager=personas.project_manager, by=personas.project_manager)

    assert fresh(staffed).version == staffed.version
    assert Event.objects.count() == events


# --- The team -------------------------------------------------------------------------------------------


def test_team_members_sit_on_the_account_team_while_the_project_runs(personas, project):
    member_add(project=project, user=personas.engineer, role="engineer", by=personas.project_manager)

    grant = grant_of(project, personas.engineer)
    assert grant.role == "engineer" and grant.expires_with == f"project:{project.pk}"
    assert can_view_customer(personas.engineer, personas.customer_a)
    assert Event.objects.filter(verb="project.team_changed", payload__added=str(personas.engineer)).exists()


def test_a_standing_account_member_keeps_their_standing_membership(personas, project):
    account_member_set(customer=personas.customer_a, user=personas.engineer, role="presales", by=personas.sales_rep)

    member_add(project=project, user=personas.engineer, role="engineer", by=personas.project_manager)
    project_move(project=project, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="客户推迟建设")

    grant = grant_of(project, personas.engineer)
    assert grant.role == "presales" and grant.expires_with == ""


def test_removing_a_member_ends_the_access_the_project_gave_them(personas, staffed):
    member_remove(project=staffed, user=personas.engineer, by=personas.project_manager)

    assert not ProjectMember.objects.filter(project=staffed, user=personas.engineer).exists()
    assert grant_of(staffed, personas.engineer) is None
    assert not can_view_customer(personas.engineer, personas.customer_a)


def test_the_project_manager_cannot_be_taken_off_the_team(personas, staffed):
    pm = personas.project_manager
    with refused("user", ProjectMember.objects.get(project=staffed, user=pm)):
        member_remove(project=staffed, user=pm, by=pm)


def test_a_deactivated_user_cannot_join_the_team(personas, project):
    personas.engineer.is_active = False
    personas.engineer.save(update_fields=["is_active"])

    with refused("user"):
        member_add(project=project, user=personas.engineer, role="engineer", by=personas.project_manager)


# --- Status ---------------------------------------------------------------------------------------------


def test_cancelling_ends_the_teams_access_and_archives_the_project(personas, staffed):
    pm = personas.project_manager
    document = document_upload(project=staffed, by=pm, upload=pdf("设计说明书.pdf"), kind=DocumentKind.DESIGN).document
    assert AccountMember.objects.filter(expires_with=f"project:{staffed.pk}").count() == 2  # the PM and the engineer

    project_move(project=staffed, to=ProjectStatus.CANCELLED, by=pm, reason="客户推迟建设")

    project = fresh(staffed)
    assert project.status == ProjectStatus.CANCELLED and project.closed_at is not None and project.is_archived
    assert not AccountMember.objects.filter(expires_with=f"project:{project.pk}").exists()
    assert not can_view_customer(personas.engineer, personas.customer_a)
    assert can_view_customer(personas.sales_rep, personas.customer_a)  # the owner's standing membership stays
    assert fresh(document).archived_at is not None
    event = Event.objects.get(verb="project.status_changed", payload__after="cancelled")
    assert event.payload["reason"] == "客户推迟建设"
    with refused(None):
        task_create(project=project, by=pm, name="补充任务", start_on=today(), end_on=today())


def test_cancelling_or_holding_needs_a_reason(personas, staffed):
    staffed = project_move(project=staffed, to=ProjectStatus.IN_PROGRESS, by=personas.project_manager)
    for to in (ProjectStatus.CANCELLED, ProjectStatus.ON_HOLD):
        with refused("reason", staffed):
            project_move(project=staffed, to=to, by=personas.project_manager, reason=" ")


def test_a_project_closes_only_through_its_handover(personas, staffed):
    with refused("status", staffed):
        project_move(project=staffed, to=ProjectStatus.CLOSED, by=personas.project_manager)


def test_starting_work_moves_a_planning_project_in_progress(personas, staffed):
    task_set_status(task=first_task(staffed), to="in_progress", by=personas.engineer)

    assert fresh(staffed).status == ProjectStatus.IN_PROGRESS
    assert Event.objects.filter(verb="project.status_changed", payload__after="in_progress").count() == 1


def test_work_begun_on_a_copy_read_before_someone_else_started_the_project_still_counts(personas, staffed):
    stale_task = first_task(staffed)  # read while the project was still in planning
    project_move(project=staffed, to=ProjectStatus.IN_PROGRESS, by=personas.project_manager)
    assert stale_task.project.status == ProjectStatus.PLANNING

    entry = time_log(user=personas.engineer, task=stale_task, work_date=today(), hours="4")

    assert entry.pk is not None and fresh(staffed).status == ProjectStatus.IN_PROGRESS
    assert Event.objects.filter(verb="project.status_changed").count() == 1


def test_a_project_on_hold_resumes_and_a_cancelled_one_stays_cancelled(personas, staffed):
    pm = personas.project_manager
    project_move(project=staffed, to=ProjectStatus.IN_PROGRESS, by=pm)
    project_move(project=staffed, to=ProjectStatus.ON_HOLD, by=pm, reason="等待客户机房")
    project_move(project=staffed, to=ProjectStatus.IN_PROGRESS, by=pm)
    project_move(project=staffed, to=ProjectStatus.CANCELLED, by=pm, reason="合同终止")

    with refused("status", staffed):
        project_move(project=staffed, to=ProjectStatus.IN_PROGRESS, by=pm)


def test_a_second_project_of_the_same_customer_has_its_own_grant(personas, catalogue, staffed):
    second = another_project(personas, [catalogue["trade-risk"]])
    member_add(project=second, user=personas.engineer, role="engineer", by=personas.project_manager)

    # One account membership per person and customer: the first project's grant holds it.
    assert grant_of(staffed, personas.engineer).expires_with == f"project:{staffed.pk}"
    project_move(project=staffed, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="合并到二期")

    assert grant_of(second, personas.engineer).expires_with == f"project:{second.pk}"
    assert can_view_customer(personas.engineer, personas.customer_a)
