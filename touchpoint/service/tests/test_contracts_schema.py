"""The maintenance endpoints keep the promises of their schema: schemathesis sends generated requests,
as an admin, to every maintenance contract, plan and campaign operation and checks each answer."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from touchpoint.service.tests.fixtures_maint import base, contract_a  # noqa: F401
from touchpoint.wsgi import application


@pytest.fixture
def api_schema(db):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema").include(
    path_regex=r"^/api/v1/(maintenance-contracts|maintenance-plans|upgrade-campaigns)/"
)


@pytest.fixture
def admin_headers(personas, contract_a):  # noqa: F811
    token, _created = Token.objects.get_or_create(user=personas.admin)
    return {"Authorization": f"Token {token.key}", "Accept-Language": "en"}


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_maintenance_api_keeps_the_promises_of_its_schema(case, admin_headers):
    case.call_and_validate(headers=admin_headers, excluded_checks=[positive_data_acceptance])
