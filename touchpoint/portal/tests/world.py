"""The portal tests' data set: customers A and B, each with a customer admin and a user, and each with
one of every record the portal shows (an installed module, a maintenance contract, a project with a
milestone and documents, a request with a public conversation, an internal note and a file, a
complaint), plus announcements and knowledge articles.

Every text of customer B carries the marker `B_MARK`, so a test can say "nothing of B shows to A"
by searching a response for it; the internal note carries `INTERNAL_MARK`, which no customer ever sees.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from touchpoint.customers.models import Customer
from touchpoint.delivery.models import Milestone, Project, ProjectDocument
from touchpoint.delivery.services.documents import document_upload
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.portal.models import Announcement, Audience
from touchpoint.portal.services import portal_request_create
from touchpoint.sales.models import InstalledItem, Module, ModulePrice, Product, ProductVersion, RequirementArea
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.service.models import Complaint, MaintenanceContract, ServiceRequest
from touchpoint.service.services.complaints import complaint_create
from touchpoint.service.services.requests import request_note, request_reply
from touchpoint.testing import Personas, PortalPersonas, make_personas, make_portal_personas
from touchpoint.touchpoints.models import Attachment

A_MARK = "甲方专用标记"
B_MARK = "乙方专用标记"
INTERNAL_MARK = "内部备注勿外传"
PDF = b"%PDF-1.4 portal test"


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass(repr=False)
class Side:
    """One customer's records."""

    customer: Customer
    admin: Any
    user: Any
    installed: InstalledItem
    coverage: MaintenanceContract
    project: Project
    milestone: Milestone
    shared_document: ProjectDocument
    private_document: ProjectDocument
    request: ServiceRequest
    attachment: Attachment
    complaint: Complaint
    announcement: Announcement
    mark: str

    def __repr__(self) -> str:
        return f"<Side {self.mark}>"


@dataclass(repr=False)
class PortalWorld:
    personas: Personas
    portal: PortalPersonas
    a: Side
    b: Side
    everyone_announcement: Announcement
    articles: dict[str, Any] = field(default_factory=dict)
    media_root: str = ""

    def __repr__(self) -> str:
        return "<PortalWorld>"


def _catalogue() -> dict[str, Module]:
    product = Product.objects.create(code="trade", name="网上交易系统", name_en="Online trading", day_rate=Decimal("3000"),
                                     maintenance_percent=Decimal("15"))  # fmt: skip
    ProductVersion.objects.create(product=product, number="5.2", released_on=date(2026, 3, 1))
    modules = {}
    for code, name, price, area in [("trade-core", "集中交易核心", "800000", "order_entry"),
                                    ("trade-margin", "融资融券", "500000", "margin_trading")]:  # fmt: skip
        module = Module.objects.create(product=product, code=code, name=name, name_en=code)
        module.areas.add(RequirementArea.objects.get(code=area))
        ModulePrice.objects.create(module=module, licence_type="perpetual", list_price=Decimal(price), valid_from=date(2025, 1, 1))
        modules[code] = module
    return modules


def _side(p: Personas, customer: Customer, rep: Any, admin: Any, user: Any, modules: dict[str, Module], mark: str) -> Side:
    opportunity = opportunity_create(by=rep, customer=customer, title=f"{mark}两融系统建设", owner=rep,
                                     close_date=date(2027, 6, 30), amount=Decimal("1600000"))  # fmt: skip
    contract = active_contract(p, opportunity, [modules["trade-core"]], rep=rep)
    installed = InstalledItem.objects.get(contract=contract)
    today = timezone.localdate()
    coverage = MaintenanceContract.objects.create(number=f"MC-{customer.pk}-{mark[:2]}", customer=customer, kind="maintenance",
                                                  tier="standard", starts_on=today - timedelta(days=30),
                                                  ends_on=today + timedelta(days=300), sites=f"{mark}机房")  # fmt: skip
    coverage.items.add(installed)
    project = Project.objects.get(contract=contract)
    Project.objects.filter(pk=project.pk).update(name=f"{mark}项目")
    milestone = Milestone.objects.create(project=project, customer=customer, name=f"{mark}上线验收", due_on=today + timedelta(days=20))
    shared = document_upload(project=project, by=p.admin, upload=pdf(f"{mark}验收证书.pdf"), kind="training",
                             title=f"{mark}培训手册", shared_with_customer=True).document  # fmt: skip
    private = document_upload(project=project, by=p.admin, upload=pdf(f"{mark}内部设计.pdf"), kind="design",
                              title=f"{mark}内部设计说明").document  # fmt: skip
    request = portal_request_create(by=user, subject=f"{mark}行情延迟", description=f"{mark}行情延迟三秒", category="fault",
                                    severity="P2", installed_item=installed, files=[pdf(f"{mark}截图.pdf")])  # fmt: skip
    request_reply(request=request, by=p.maintenance_agent, body=f"{mark}我们正在处理")
    request_note(request=request, by=p.maintenance_agent, body=f"{INTERNAL_MARK}{mark}")
    attachment = Attachment.objects.get(touchpoint__link_id=request.pk, touchpoint__link_type="service.servicerequest")
    complaint = complaint_create(by=p.maintenance_lead, customer=customer, subject=f"{mark}响应太慢", description=f"{mark}投诉内容",
                                 about="service", request=request)  # fmt: skip
    announcement = Announcement.objects.create(title=f"{mark}专属公告", body=f"{mark}公告正文", audience=Audience.SELECTED,
                                               created_by=p.marketing, published_from=timezone.now() - timedelta(days=1))  # fmt: skip
    announcement.customers.add(customer)
    return Side(customer=customer, admin=admin, user=user, installed=installed, coverage=coverage, project=project,
                milestone=milestone, shared_document=shared, private_document=private, request=request, attachment=attachment,
                complaint=complaint, announcement=announcement, mark=mark)  # fmt: skip


def build_portal_world() -> PortalWorld:
    p = make_personas()
    portal = make_portal_personas(p)
    modules = _catalogue()
    a = _side(p, p.customer_a, p.sales_rep, portal.portal_a_admin, portal.portal_a, modules, A_MARK)
    b = _side(p, p.customer_b, p.other_rep, portal.portal_b_admin, portal.portal_b, modules, B_MARK)
    everyone = Announcement.objects.create(title="系统升级通知", body="周六凌晨升级", audience=Audience.ALL, created_by=p.marketing,
                                           published_from=timezone.now() - timedelta(hours=2))  # fmt: skip
    world = PortalWorld(personas=p, portal=portal, a=a, b=b, everyone_announcement=everyone)
    world.articles = _articles(p)
    return world


def _articles(p: Personas) -> dict[str, Any]:
    from touchpoint.service.services.knowledge import article_create, article_publish

    public = article_publish(article=article_create(by=p.maintenance_lead, title="行情延迟的排查方法", body="检查行情网关与网络延迟。",
                                                    visibility="customer", category="troubleshooting"), by=p.maintenance_lead)  # fmt: skip
    internal = article_publish(article=article_create(by=p.maintenance_lead, title=f"{INTERNAL_MARK}行情延迟处理",
                                                      body="内部处理步骤：行情延迟时重启网关。"), by=p.maintenance_lead)  # fmt: skip
    return {"public": public, "internal": internal}


def world_once(django_db_blocker: Any, media_root: str) -> Iterator[PortalWorld]:
    """Build the world in a transaction that outlives the module's tests and is rolled back after."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=fast), transaction.atomic():
        world = build_portal_world()
        world.media_root = media_root
        yield world
        transaction.set_rollback(True)
