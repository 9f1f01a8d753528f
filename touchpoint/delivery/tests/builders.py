"""Builders the delivery service and permission tests share, on top of the fixtures in conftest.py."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.models import AccountMember
from touchpoint.delivery.models import (
    ChangeRequest,
    DocumentVersion,
    Handover,
    Milestone,
    Project,
    ProjectDocument,
    ProjectMember,
    ProjectTemplate,
    StatusReport,
    Task,
    TaskDependency,
    TaskRequirement,
    TimeEntry,
)
from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.services.plan import milestone_accept
from touchpoint.delivery.services.projects import contact_add
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.sales.models import Module, Opportunity, PaymentMilestone
from touchpoint.sales.services.opportunities import opportunity_create

# The rows a refused delivery write must leave alone.
WATCHED: tuple[type[Model], ...] = (
    Project, ProjectMember, Task, TaskDependency, TaskRequirement, Milestone, TimeEntry, Handover, ProjectDocument,
    DocumentVersion, ChangeRequest, StatusReport, AccountMember, PaymentMilestone, Event,
)  # fmt: skip


def today() -> date:
    return timezone.localdate()


def days_from_today(days: int) -> date:
    return today() + timedelta(days=days)


def row_counts(models: tuple[type[Model], ...] = WATCHED) -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in models}


def state(*objects: Model) -> list[dict[str, Any]]:
    """Each object's row as it now stands in the database."""
    rows = []
    for obj in objects:
        row = type(obj)._default_manager.get(pk=obj.pk)
        rows.append({f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})
    return rows


@contextmanager
def refused(field: str | None, *unchanged: Model, models: tuple[type[Model], ...] = WATCHED) -> Iterator[Any]:
    """Expect a ValidationError naming `field` (any error when None), no new or removed rows in the watched
    tables, and the `unchanged` objects' rows exactly as they were."""
    counts, rows = row_counts(models), state(*unchanged)
    with pytest.raises(ValidationError) as caught:
        yield caught
    if field is not None:
        assert hasattr(caught.value, "error_dict"), caught.value.messages
        assert field in caught.value.message_dict, caught.value.message_dict
    assert row_counts(models) == counts
    assert state(*unchanged) == rows


def fresh(obj: Model) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)


def pdf(name: str = "验收证书.pdf", body: bytes = b"signed") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body, content_type="application/pdf")


def new_opportunity(customer: Any, owner: Any, title: str = "行情系统升级") -> Opportunity:
    return opportunity_create(by=owner, customer=customer, title=title, owner=owner, close_date=date(2027, 12, 31),
                              amount=1000000)  # fmt: skip


def another_project(personas: Any, modules: list[Module], *, customer: Any = None, owner: Any = None,
                    title: str = "行情系统升级") -> Project:  # fmt: skip
    """A second signed contract (customer A's unless told) and the project its activation opens."""
    owner = owner or personas.sales_rep
    opportunity = new_opportunity(customer or personas.customer_a, owner, title)
    contract = active_contract(personas, opportunity, modules, rep=owner)
    return Project.objects.get(contract=contract)


def bare_project(personas: Any, modules: list[Module], *, customer: Any = None, owner: Any = None) -> Project:
    """A project opened with no template at all: no phases, tasks or milestones to get in the way."""
    active = list(ProjectTemplate.objects.filter(is_active=True).values_list("pk", flat=True))
    ProjectTemplate.objects.filter(pk__in=active).update(is_active=False)
    try:
        return another_project(personas, modules, customer=customer, owner=owner, title="柜台系统改造")
    finally:
        ProjectTemplate.objects.filter(pk__in=active).update(is_active=True)


def at_handover(project: Project, personas: Any, *, go_live_on: date | None = None) -> Handover:
    """The customer accepts go-live (which opens the handover), with IT and operations contacts on the project."""
    contact_add(project=project, contact=personas.contact_a, role="it", by=personas.project_manager)
    contact_add(project=project, contact=personas.contact_a, role="sponsor", by=personas.project_manager)
    milestone_accept(milestone=project.milestones.get(delivery_event="go_live"), by=personas.project_manager,
                     accepted_on=go_live_on)  # fmt: skip
    return Handover.objects.get(project=project)


def fill_in(handover: Handover, personas: Any) -> Handover:
    """Everything the checklist asks for."""
    pm = personas.project_manager
    handover = ho.handover_update(handover=handover, by=pm, expected_version=fresh(handover).version,
                                  customisations="营业部参数按客户要求配置", interfaces="上交所、深交所、中登", known_risks="无",
                                  no_open_defects=True)  # fmt: skip
    for system in handover.systems.select_related("installed_item"):
        ho.system_update(system=system, by=pm, version=system.installed_item.product.versions.first(),
                         go_live_on=system.go_live_on or days_from_today(-1))  # fmt: skip
    ho.training_add(handover=handover, by=pm, topic="管理员培训", trainees="张伟", trained_on=days_from_today(-2),
                    trainer="周工程师")  # fmt: skip
    ho.key_contact_add(handover=handover, by=pm, contact=personas.contact_a, role="it")
    ho.key_contact_add(handover=handover, by=pm, contact=personas.contact_a, role="operations")
    return fresh(handover)


def submitted(project: Project, personas: Any) -> Handover:
    handover = fill_in(at_handover(project, personas), personas)
    return ho.handover_submit(handover=handover, by=personas.project_manager)


def signed(project: Project, personas: Any) -> Handover:
    handover = submitted(project, personas)
    ho.handover_sign(handover=handover, by=personas.project_manager)
    return ho.handover_sign(handover=handover, by=personas.maintenance_lead)
