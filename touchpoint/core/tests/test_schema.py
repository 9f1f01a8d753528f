"""The OpenAPI schema is accurate: generated without warnings, and the API keeps its promises.

Schemathesis loads the schema from the WSGI app and sends generated requests, as an admin, to every
/api/v1/ operation, then runs its default checks on each answer (no 5xx, documented status codes,
content types, headers and bodies that match the schema, invalid input refused, auth enforced).
`positive_data_acceptance` is left out: a request can be valid by the schema and still be refused
with a documented 400 for rules a schema cannot state (a credit code's check character, a
referenced customer that must exist and be visible, a date no later than now).
"""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from touchpoint.wsgi import application


@pytest.fixture
def api_schema(db):
    # Like Django's test client: the WSGI handler must not close the test's connection after each
    # request (on PostgreSQL that would end the test transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/api/v1/")


@pytest.fixture
def admin_headers(personas):
    token, _created = Token.objects.get_or_create(user=personas.admin)
    return {"Authorization": f"Token {token.key}", "Accept-Language": "en"}


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_keeps_the_promises_of_its_schema(case, admin_headers):
    case.call_and_validate(headers=admin_headers, excluded_checks=[positive_data_acceptance])


def test_schema_generates_without_errors(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate")
    text = target.read_text()
    assert "/api/v1/customers/{id}/reassign/" in text
    assert "/api/v1/followups/{id}/complete/" in text


def test_swagger_ui_is_served_from_the_sidecar(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in response.content
    assert b"cdn" not in response.content.lower()
