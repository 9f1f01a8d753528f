"""What the service app shows elsewhere: the customer 360's service, feedback and complaints counters."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Counter, Panel, customer_counters, customer_panels
from touchpoint.service.access import visible_complaints, visible_requests, visible_surveys
from touchpoint.service.models import COMPLAINT_OPEN, OPEN
from touchpoint.service.views.contracts import customer_contracts_panel


def open_requests(user: Any, customer: Any) -> int:
    return visible_requests(user).filter(customer=customer, status__in=OPEN).count()


def survey_answers(user: Any, customer: Any) -> int:
    return visible_surveys(user).filter(customer=customer, answered_at__isnull=False).count()


def open_complaints(user: Any, customer: Any) -> int:
    return visible_complaints(user).filter(customer=customer, status__in=COMPLAINT_OPEN).count()


customer_counters["service"] = Counter(key="service", label=_("Open service requests"), count=open_requests, order=20)
customer_counters["feedback"] = Counter(key="feedback", label=_("Survey answers"), count=survey_answers, order=30)
customer_counters["complaints"] = Counter(key="complaints", label=_("Open complaints"), count=open_complaints, order=40)
customer_panels.register(Panel("maintenance_contracts", _("Maintenance contracts"), "service/contracts/panel_360.html",
                               customer_contracts_panel, order=35))  # fmt: skip
