"""The portal's share of the demo: a customer admin and a user for two demo customers with an
installed base, and two announcements to all customers. The logins are printed with the staff's."""

import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.customers.demo import DEMO_NOTE
from touchpoint.customers.models import Customer
from touchpoint.org.demo import DEMO_PASSWORD
from touchpoint.org.models import User
from touchpoint.org.services import user_create
from touchpoint.portal.models import Announcement, Audience, PortalAccount

ANNOUNCEMENTS = [
    ("关于春节期间系统值守安排的通知", "春节假期期间维护中心实行7×24小时值守。P1故障请拨打热线，其他问题请通过客户门户提交工单。"),
    ("网上交易系统新版本升级预告", "新版本支持交易所最新业务规则，升级窗口安排在周六凌晨，届时请留意公告。"),
]


def load_portal(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if PortalAccount.objects.exists():
        return "portal: already loaded"
    customers = list(Customer.objects.filter(notes=DEMO_NOTE, installed_base__isnull=False).distinct().order_by("id")[:2])
    lead = User.objects.filter(memberships__position="maintenance_lead", is_active=True).first()
    if not customers or lead is None:
        return "portal: no demo customer with an installed base"
    with transaction.atomic():
        for index, customer in enumerate(customers, start=1):
            contact = customer.contacts.order_by("id").first()
            for suffix, is_admin in (("admin", True), ("user", False)):
                username = f"portal{index}{suffix}"
                role = "管理员" if is_admin else "运维"
                user = user_create(username=username, password=DEMO_PASSWORD, full_name=f"{customer.display_name}{role}",
                                   email=f"{username}@customer.example")  # fmt: skip
                PortalAccount.objects.create(user=user, customer=customer, contact=contact if is_admin else None, is_admin=is_admin,
                                             invited_by=lead)  # fmt: skip
                out(f"{username:<12} {DEMO_PASSWORD:<10} customer portal /portal/ · {customer.display_name}")
        for days, (title, body) in enumerate(ANNOUNCEMENTS):
            Announcement.objects.create(title=title, body=body, audience=Audience.ALL, created_by=lead,
                                        published_from=timezone.now() - timedelta(days=days + 1))  # fmt: skip
    return f"portal: {len(customers) * 2} customer users, {len(ANNOUNCEMENTS)} announcements"


demo_steps["portal.demo"] = DemoStep(key="portal.demo", order=700, run=load_portal)
