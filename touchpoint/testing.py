"""Personas and builders shared by every app's tests (and the browser tests).

`make_personas()` builds the staff personas and customers A and B; `make_portal_personas(personas)`
adds two customer users (portal users) per customer on top of them: a customer admin and a plain
user each. They are separate so that the many tests that need no portal user do not pay for them.
"""

from dataclasses import dataclass
from typing import Any

from touchpoint.customers.models import Contact, Customer, CustomerType
from touchpoint.customers.services import contact_create, customer_create
from touchpoint.org.models import Department, Team, User
from touchpoint.org.services import user_create

PASSWORD = "Touchpoint-Test-2026"  # noqa: S105


@dataclass
class Personas:
    sales_rep: User
    other_rep: User
    sales_manager: User
    project_manager: User
    engineer: User
    maintenance_agent: User
    maintenance_lead: User
    finance: User
    marketing: User
    executive: User
    admin: User
    outsider: User  # signed in but holds no position
    # Customer A belongs to sales_rep (in the manager's team), B to other_rep (another team).
    customer_a: Customer
    customer_b: Customer
    contact_a: Contact
    contact_b: Contact

    def by_position(self) -> dict[str, User]:
        return {
            "sales_rep": self.sales_rep,
            "sales_manager": self.sales_manager,
            "project_manager": self.project_manager,
            "engineer": self.engineer,
            "maintenance_agent": self.maintenance_agent,
            "maintenance_lead": self.maintenance_lead,
            "finance": self.finance,
            "marketing": self.marketing,
            "executive": self.executive,
            "admin": self.admin,
        }


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def make_user(username: str, position: str | None, dept: str, full_name: str = "", **extra: Any) -> User:
    return user_create(
        username=username,
        password=PASSWORD,
        full_name=full_name or username,
        email=f"{username}@touchpoint.example",
        department=department(dept),
        positions=[position] if position else [],
        **extra,
    )


def make_personas() -> Personas:
    sales_rep = make_user("rep", "sales_rep", "sales", "王销售")
    other_rep = make_user("rep2", "sales_rep", "sales", "李销售")
    sales_manager = make_user("salesmgr", "sales_manager", "sales", "赵经理")
    east = Team.objects.create(name="华东销售组", department=department("sales"), lead=sales_manager)
    east.members.add(sales_rep, sales_manager)
    north = Team.objects.create(name="华北销售组", department=department("sales"))
    north.members.add(other_rep)
    project_manager = make_user("pm", "project_manager", "engineering", "孙项目")
    engineer = make_user("engineer", "engineer", "engineering", "周工程师")
    maintenance_agent = make_user("agent", "maintenance_agent", "maintenance", "吴坐席")
    maintenance_lead = make_user("agentlead", "maintenance_lead", "maintenance", "郑主管")
    finance = make_user("finance", "finance", "finance", "钱财务")
    marketing = make_user("marketing", "marketing", "marketing", "冯市场")
    executive = make_user("exec", "executive", "management", "陈总")
    admin = make_user("admin", "admin", "management", "系统管理员")
    outsider = make_user("nobody", None, "sales", "无岗位")
    customer_a = customer_create(
        by=sales_rep, owner=sales_rep, name="华泰证券股份有限公司", short_name="华泰证券",
        credit_code="91320000704041011J", customer_type=CustomerType.SECURITIES, province="江苏", city="南京",
    )  # fmt: skip
    customer_b = customer_create(
        by=other_rep, owner=other_rep, name="中信建投证券股份有限公司", short_name="中信建投",
        customer_type=CustomerType.SECURITIES, province="北京", city="北京",
    )  # fmt: skip
    contact_a = contact_create(by=sales_rep, customer=customer_a, name="张伟", title="信息技术部总经理",
                               mobile="13812345678", email="zhangwei@htsc.example")  # fmt: skip
    contact_b = contact_create(by=other_rep, customer=customer_b, name="刘洋", title="运维主管",
                               mobile="13987654321", email="liuyang@csc.example")  # fmt: skip
    return Personas(
        sales_rep=sales_rep, other_rep=other_rep, sales_manager=sales_manager, project_manager=project_manager,
        engineer=engineer, maintenance_agent=maintenance_agent, maintenance_lead=maintenance_lead, finance=finance,
        marketing=marketing, executive=executive, admin=admin, outsider=outsider,
        customer_a=customer_a, customer_b=customer_b, contact_a=contact_a, contact_b=contact_b,
    )  # fmt: skip


@dataclass
class PortalPersonas:
    """Customer users: an admin and a plain user of customer A, the same of customer B."""

    portal_a_admin: User
    portal_a: User
    portal_b_admin: User
    portal_b: User

    def all(self) -> dict[str, User]:
        return {"portal_a_admin": self.portal_a_admin, "portal_a": self.portal_a,
                "portal_b_admin": self.portal_b_admin, "portal_b": self.portal_b}  # fmt: skip


def make_portal_user(username: str, customer: Customer, *, full_name: str, contact: Contact | None = None,
                     is_admin: bool = False, invited_by: User | None = None) -> User:  # fmt: skip
    """A customer user: no position, no department, a portal account on `customer`."""
    from touchpoint.portal.models import PortalAccount

    user = user_create(username=username, password=PASSWORD, full_name=full_name, email=f"{username}@customer.example")
    PortalAccount.objects.create(user=user, customer=customer, contact=contact, is_admin=is_admin, invited_by=invited_by)
    return user


def make_portal_personas(p: Personas) -> PortalPersonas:
    return PortalPersonas(
        portal_a_admin=make_portal_user("portal_a_admin", p.customer_a, full_name="张伟", contact=p.contact_a, is_admin=True,
                                        invited_by=p.sales_rep),
        portal_a=make_portal_user("portal_a", p.customer_a, full_name="华泰运维", invited_by=p.sales_rep),
        portal_b_admin=make_portal_user("portal_b_admin", p.customer_b, full_name="刘洋", contact=p.contact_b, is_admin=True,
                                        invited_by=p.other_rep),
        portal_b=make_portal_user("portal_b", p.customer_b, full_name="中信运维", invited_by=p.other_rep),
    )  # fmt: skip
