"""Delivery fixtures: an activated contract on customer A, and the project its activation opened."""

from typing import Any

import pytest

from touchpoint.delivery.models import Project
from touchpoint.delivery.services.projects import member_add, project_set_manager
from touchpoint.finance.tests.conftest import active_contract, api_as  # noqa: F401  (fixtures)
from touchpoint.sales.models import Contract, Requirement, RequirementArea
from touchpoint.sales.tests.conftest import catalogue, opportunity  # noqa: F401  (fixtures)


@pytest.fixture
def contract(personas, opportunity, catalogue) -> Contract:  # noqa: F811
    """Two requirements on the opportunity, then the quote, the contract and its activation."""
    for index, (area, text) in enumerate([("order_entry", "支持港股通交易"), ("margin_trading", "两融担保品实时盯市")]):
        Requirement.objects.create(opportunity=opportunity, customer=opportunity.customer, order=index,
                                   area=RequirementArea.objects.get(code=area), description=text)  # fmt: skip
    return active_contract(personas, opportunity, [catalogue["trade-core"], catalogue["trade-margin"]])


@pytest.fixture
def project(contract) -> Project:
    return Project.objects.get(contract=contract)


@pytest.fixture
def staffed(project, personas) -> Project:
    """The project with its manager and an engineer on the team."""
    project_set_manager(project=project, manager=personas.project_manager, by=personas.project_manager)
    member_add(project=project, user=personas.engineer, role="engineer", by=personas.project_manager)
    project.refresh_from_db()
    return project


def first_task(project: Project, **filters: Any) -> Any:
    return project.tasks.filter(**filters).order_by("start_on", "order").first()
