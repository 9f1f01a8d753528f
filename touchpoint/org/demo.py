"""Demo staff: at least one user for every position, in their departments and teams.

Registered as the first demo step; the last step prints one login per position.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.org.models import Department, Position, Team, User
from touchpoint.org.services import user_create

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for anyone trying the demo; never a real account


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    department: str
    position: str


# The first user of each position is the login printed for that position.
DEMO_USERS = [
    DemoUser("admin", "系统管理员", "management", Position.ADMIN),
    DemoUser("chenzong", "陈建国", "management", Position.EXECUTIVE),
    DemoUser("zhaomin", "赵敏", "sales", Position.SALES_MANAGER),
    DemoUser("wangqiang", "王强", "sales", Position.SALES_REP),
    DemoUser("liuyang", "刘洋", "sales", Position.SALES_REP),
    DemoUser("zhangli", "张丽", "sales", Position.SALES_REP),
    DemoUser("huangwei", "黄伟", "sales", Position.SALES_REP),
    DemoUser("sunhao", "孙浩", "engineering", Position.PROJECT_MANAGER),
    DemoUser("zhoujie", "周杰", "engineering", Position.ENGINEER),
    DemoUser("wujun", "吴军", "engineering", Position.ENGINEER),
    DemoUser("zhenghua", "郑华", "maintenance", Position.MAINTENANCE_LEAD),
    DemoUser("fenglei", "冯磊", "maintenance", Position.MAINTENANCE_AGENT),
    DemoUser("heyan", "何燕", "maintenance", Position.MAINTENANCE_AGENT),
    DemoUser("qianli", "钱莉", "finance", Position.FINANCE),
    DemoUser("xumei", "徐梅", "marketing", Position.MARKETING),
]

# Team name, department, lead, members.
DEMO_TEAMS = [
    ("华东销售组", "sales", "zhaomin", ["zhaomin", "wangqiang", "zhangli"]),
    ("华北华南销售组", "sales", "zhaomin", ["liuyang", "huangwei"]),
    ("实施一组", "engineering", "sunhao", ["sunhao", "zhoujie", "wujun"]),
    ("维护中心值班组", "maintenance", "zhenghua", ["zhenghua", "fenglei", "heyan"]),
]


def demo_users() -> dict[str, User]:
    """The demo staff that exist, by username."""
    return {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}


def users_by_position() -> dict[str, list[User]]:
    found = demo_users()
    grouped: dict[str, list[User]] = {}
    for demo in DEMO_USERS:
        if demo.username in found:
            grouped.setdefault(demo.position, []).append(found[demo.username])
    return grouped


def is_loaded() -> bool:
    return User.objects.filter(username__in=[d.username for d in DEMO_USERS]).count() == len(DEMO_USERS)


@transaction.atomic
def load_staff(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "staff: already loaded"
    existing = demo_users()
    departments = {d.code: d for d in Department.objects.all()}
    for demo in DEMO_USERS:
        if demo.username in existing:
            continue
        existing[demo.username] = user_create(
            username=demo.username,
            password=DEMO_PASSWORD,
            full_name=demo.full_name,
            email=f"{demo.username}@touchpoint.example",
            department=departments[demo.department],
            positions=[demo.position],
            is_superuser=demo.position == Position.ADMIN,
        )
    for name, department, lead, members in DEMO_TEAMS:
        team, _created = Team.objects.get_or_create(
            name=name, department=departments[department], defaults={"lead": existing[lead]}
        )
        team.members.add(*[existing[m] for m in members])
    return f"staff: {len(DEMO_USERS)} users in {len(DEMO_TEAMS)} teams"


def print_logins(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    found = demo_users()
    departments = {d.pk: d.name for d in Department.objects.all()}
    labels = dict(Position.choices)
    out("")
    out(f"{'username':<12} {'password':<10} {'position':<26} department")
    shown: set[str] = set()
    for demo in DEMO_USERS:
        user = found.get(demo.username)
        if user is None or demo.position in shown:
            continue
        shown.add(demo.position)
        department = departments.get(user.department_id or 0, "")
        out(f"{user.username:<12} {DEMO_PASSWORD:<10} {labels[demo.position]!s:<26} {department}")
    return f"logins: {len(shown)} positions"


demo_steps["org.staff"] = DemoStep(key="org.staff", order=100, run=load_staff)
demo_steps["org.logins"] = DemoStep(key="org.logins", order=10_000, run=print_logins)
