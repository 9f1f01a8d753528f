"""What the service app shows elsewhere: the customer 360's service counter."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Counter, customer_counters
from touchpoint.service.access import visible_requests
from touchpoint.service.models import OPEN


def open_requests(user: Any, customer: Any) -> int:
    return visible_requests(user).filter(customer=customer, status__in=OPEN).count()


customer_counters["service"] = Counter(key="service", label=_("Open service requests"), count=open_requests, order=20)
