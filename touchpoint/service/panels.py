"""What the service app shows elsewhere: the customer 360's service, feedback and complaints counters,
its maintenance contracts panel, and the buttons that log a request or raise a complaint for the customer."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Counter, Panel, RecordAction, customer_actions, customer_counters, customer_panels
from touchpoint.service.access import (
    may_log_complaints,
    may_log_requests,
    visible_complaints,
    visible_requests,
    visible_surveys,
)
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


def _with_customer(name: str) -> Any:
    return lambda customer: f"{reverse(name)}?customer={customer.pk}"


customer_actions["log_request"] = RecordAction(
    key="log_request", label=_("Log a request"), url=_with_customer("service:request_new"),
    visible=lambda user, customer: may_log_requests(user), order=10, icon="bi-headset",
)  # fmt: skip
customer_actions["raise_complaint"] = RecordAction(
    key="raise_complaint", label=_("Raise a complaint"), url=_with_customer("service:complaint_new"),
    visible=lambda user, customer: may_log_complaints(user), order=20, icon="bi-exclamation-octagon",
)  # fmt: skip
