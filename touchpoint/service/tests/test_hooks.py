"""A signed handover starts the warranty and turns the open defects into service requests."""

import pytest

from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.tests.builders import at_handover, fill_in, fresh
from touchpoint.delivery.tests.conftest import contract, project, staffed  # noqa: F401  (fixtures)
from touchpoint.finance.tests.conftest import active_contract  # noqa: F401
from touchpoint.sales.tests.conftest import catalogue, opportunity  # noqa: F401  (fixtures)
from touchpoint.service.models import MaintenanceContract, ServiceRequest
from touchpoint.service.services.requests import coverage_for

pytestmark = pytest.mark.django_db


def test_signing_the_handover_starts_the_warranty_and_files_each_open_defect(personas, desk, staffed):  # noqa: F811
    handover = fill_in(at_handover(staffed, personas), personas)
    ho.handover_update(handover=handover, by=personas.project_manager, expected_version=fresh(handover).version,
                       customisations=handover.customisations, interfaces=handover.interfaces,
                       known_risks=handover.known_risks, no_open_defects=False)  # fmt: skip
    ho.defect_add(handover=handover, by=personas.project_manager, title="两融盯市报表偶发超时", severity="P2",
                  description="收盘后批处理偶发超过 30 分钟")  # fmt: skip
    handover = ho.handover_submit(handover=fresh(handover), by=personas.project_manager)
    ho.handover_sign(handover=handover, by=personas.project_manager)
    ho.handover_sign(handover=fresh(handover), by=personas.maintenance_lead)
    handover = fresh(handover)

    warranty = MaintenanceContract.objects.get(handover_id=handover.pk)
    assert warranty.kind == "warranty" and warranty.customer == personas.customer_a
    assert (warranty.starts_on, warranty.ends_on) == (handover.warranty_start, handover.warranty_end)
    assert set(warranty.items.all()) == {s.installed_item for s in handover.systems.all()}

    defect = handover.defects.get()
    request = ServiceRequest.objects.get(number=defect.request_ref)
    assert request.customer == personas.customer_a and request.severity == "P2" and request.owner == personas.maintenance_lead
    assert request.entitlement == "warranty" and request.coverage == warranty and request.queue == desk.l1
    item = handover.systems.first().installed_item
    assert coverage_for(personas.customer_a, item, handover.warranty_start) == warranty
