"""The permission matrix the page tests share: who may do what, derived from the policy defaults.

The expected outcome of every request is computed, never typed in: a persona's scope for an
(entity, action) comes from `ENTITIES[entity].defaults` for the positions they hold, and the scope a
record needs comes from how the persona relates to it (owns it, shares a team or a department with
its owner, or nothing at all). A page then answers 404 when the record is outside the view scope,
403 when it is visible but the action is not allowed, and 200/302 otherwise.

The data set is built once per test module (`world_once`) inside a transaction that is rolled back
at the end; every test runs in its own savepoint on top of it, like Django's `setUpTestData`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.models import AccountMember, Contact, Customer, CustomerType
from touchpoint.customers.services import contact_create, customer_create
from touchpoint.org.models import Membership, Position, Team, User
from touchpoint.org.policy import ENTITIES, S
from touchpoint.testing import Personas, make_personas
from touchpoint.touchpoints.models import Attachment, FollowUp, Touchpoint
from touchpoint.touchpoints.services import followup_create, touchpoint_log

# The ten positions, plus a signed-in user who holds none.
OUTSIDER = "outsider"
PERSONAS: list[str] = [*Position.values, OUTSIDER]
# Which record of a bundle a check runs against: the persona's own, the sales rep's (customer A,
# in the sales manager's team) or the other rep's (customer B, another sales team).
TARGETS = ["own", "a", "b"]

# A distinct two-character word per persona, so their records can be told apart in search and lists.
LABELS = {
    "sales_rep": "春雨", "sales_manager": "夏荷", "project_manager": "秋月", "engineer": "冬雪",
    "maintenance_agent": "晨光", "maintenance_lead": "暮云", "finance": "青山", "marketing": "绿水",
    "executive": "白鹭", "admin": "黄鹂", OUTSIDER: "紫藤",
}  # fmt: skip

PDF_BYTES = b"%PDF-1.4 matrix test"


def pdf(name: str = "a.pdf", body: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# --- The data set -------------------------------------------------------------------------


@dataclass(repr=False)
class Bundle:
    """One record of each kind that belong together for a check (a customer and what hangs off it)."""

    customer: Customer
    contact: Contact
    second_contact: Contact  # on the same customer: the one a merge folds in
    touchpoint: Touchpoint
    attachment: Attachment
    followup: FollowUp

    def __repr__(self) -> str:
        return f"<Bundle of {self.customer}>"


@dataclass(repr=False)
class World:
    personas: Personas
    users: dict[str, User]  # persona key → user
    a: Bundle
    b: Bundle
    own: dict[str, Bundle]  # persona key → records that persona owns
    media_root: str = ""
    all_bundles: list[Bundle] = field(default_factory=list)

    def __repr__(self) -> str:
        return "<World>"

    def bundle(self, persona: str, target: str) -> Bundle:
        return {"a": self.a, "b": self.b}.get(target) or self.own[persona]


def _touchpoint_with_file(*, by: User, customer: Customer, subject: str) -> tuple[Touchpoint, Attachment]:
    touchpoint = touchpoint_log(by=by, customer=customer, channel="phone", direction="in", subject=subject,
                                files=[pdf(f"{subject}.pdf")])  # fmt: skip
    return touchpoint, Attachment.objects.get(touchpoint=touchpoint)


def build_world() -> World:
    """The personas, customers A and B with their records, and one set of records per persona.

    A persona's own touchpoint is one they logged on customer B and their own follow-up is one
    assigned to them on customer B, so 'own' there rests on logging and assignment alone.
    """
    p = make_personas()
    users = {**p.by_position(), OUTSIDER: p.outsider}
    due = timezone.localdate() + timedelta(days=3)

    def side(customer: Customer, contact: Contact, owner: User, label: str) -> Bundle:
        second = contact_create(by=owner, customer=customer, name=f"{label}女士", mobile="")
        touchpoint, attachment = _touchpoint_with_file(by=owner, customer=customer, subject=f"{label}来电记录")
        followup = followup_create(by=owner, customer=customer, assignee=owner, due_on=due, subject=f"{label}回访任务")
        return Bundle(customer, contact, second, touchpoint, attachment, followup)

    a = side(p.customer_a, p.contact_a, p.sales_rep, "华泰")
    b = side(p.customer_b, p.contact_b, p.other_rep, "中信")
    own = {}
    for index, (key, user) in enumerate(users.items()):
        label = LABELS[key]
        customer = customer_create(by=p.admin, owner=user, name=f"{label}信息技术有限公司",
                                   customer_type=CustomerType.SECURITIES, province="上海", city="上海")  # fmt: skip
        contact = contact_create(by=p.admin, customer=customer, name=f"{label}先生", mobile=f"1390000{index:04d}")
        second = contact_create(by=p.admin, customer=customer, name=f"{label}女士")
        touchpoint, attachment = _touchpoint_with_file(by=user, customer=p.customer_b, subject=f"{label}来电记录")
        followup = followup_create(by=p.other_rep, customer=p.customer_b, assignee=user, due_on=due,
                                   subject=f"{label}回访任务")  # fmt: skip
        own[key] = Bundle(customer, contact, second, touchpoint, attachment, followup)
    return World(personas=p, users=users, a=a, b=b, own=own, all_bundles=[a, b, *own.values()])


def world_once(django_db_blocker: Any, media_root: str) -> Iterator[World]:
    """Build the world in a transaction that outlives the module's tests and is rolled back after."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        world = build_world()
        world.media_root = media_root
        yield world
        transaction.set_rollback(True)


# --- Who may do what ----------------------------------------------------------------------


def positions_of(user: User) -> set[str]:
    return set(Membership.objects.filter(user=user).values_list("position", flat=True))


def scope_for(user: User, entity: str, action: str) -> int:
    """The widest scope the shipped defaults give any of the user's positions."""
    defaults = ENTITIES[entity].defaults
    return max((defaults.get(position, {}).get(action, S.NONE) for position in positions_of(user)), default=S.NONE)


def _serves(user: User, customer_id: int) -> bool:
    customer = Customer.all_objects.get(pk=customer_id)
    return customer.owner_id == user.pk or AccountMember.objects.filter(customer_id=customer_id, user=user).exists()


def _owns(user: User, record: models.Model) -> bool:
    """'Own' as the access layer documents it, per kind of record."""
    if isinstance(record, Customer):
        return _serves(user, record.pk)
    if isinstance(record, Contact):
        return _serves(user, record.customer_id)
    if isinstance(record, Touchpoint):
        took_part = record.participants.filter(pk=user.pk).exists()
        return record.logged_by_id == user.pk or took_part or _serves(user, record.customer_id)
    if isinstance(record, Attachment):
        return _owns(user, Touchpoint.all_objects.get(pk=record.touchpoint_id))
    if isinstance(record, FollowUp):
        customer_owner = Customer.all_objects.values_list("owner_id", flat=True).get(pk=record.customer_id)
        return user.pk in (record.assignee_id, record.created_by_id, customer_owner)
    raise TypeError(record)


def _responsible(record: models.Model) -> int:
    """The user whose team and department a record belongs to."""
    if isinstance(record, Customer):
        return record.owner_id
    if isinstance(record, Contact):
        return Customer.all_objects.values_list("owner_id", flat=True).get(pk=record.customer_id)
    if isinstance(record, Touchpoint):
        return record.logged_by_id
    if isinstance(record, Attachment):
        return Touchpoint.all_objects.values_list("logged_by_id", flat=True).get(pk=record.touchpoint_id)
    if isinstance(record, FollowUp):
        return record.assignee_id
    raise TypeError(record)


def reach(user: User, record: models.Model) -> int:
    """The narrowest scope that covers `record` for `user`."""
    if _owns(user, record):
        return S.OWN
    responsible = _responsible(record)
    teams = Team.objects.filter(Q(members=user) | Q(lead=user))
    if User.objects.filter(teams__in=teams, pk=responsible).exists():
        return S.TEAM
    mine = Membership.objects.filter(user=user).values("department_id")
    if Membership.objects.filter(user_id=responsible, department_id__in=mine).exists():
        return S.DEPARTMENT
    return S.ALL


def allowed(user: User, entity: str, action: str, record: models.Model) -> bool:
    scope = scope_for(user, entity, action)
    return scope > S.NONE and scope >= reach(user, record)


# --- Pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page or endpoint, and the policy checks it must apply, in order.

    `gate` must cover the record or the answer is 404; then `check` must cover `checked(record)`
    (the record itself unless told) or the answer is 403. A bulk endpoint that silently skips
    records it cannot see answers `hidden_status` for them instead of 404.
    """

    method: str
    url: Callable[[Any], str]
    gate: tuple[str, str]
    check: tuple[str, str] | None = None
    htmx: bool = False
    hidden_status: int = 404

    def expected_status(self, user: User, record: models.Model) -> int:
        if not allowed(user, *self.gate, record):
            return self.hidden_status
        if self.check and not allowed(user, *self.check, record):
            return 403
        return 200 if self.method == "GET" else 302

    def request(self, client: Any, record: models.Model, data: dict[str, Any] | None = None) -> Any:
        headers = {"HTTP_HX_REQUEST": "true"} if self.htmx else {}
        if self.method == "GET":
            return client.get(self.url(record), **headers)
        return client.post(self.url(record), data or {}, **headers)


def row(record: models.Model) -> dict[str, Any]:
    """The stored row of a record, deleted or not."""
    model = record._meta.model
    return model.all_objects.filter(pk=record.pk).values().get()  # type: ignore[attr-defined]


def fresh(record: models.Model) -> Any:
    return record._meta.model.all_objects.get(pk=record.pk)  # type: ignore[attr-defined]


def database_state(*records: models.Model) -> dict[str, Any]:
    """What a denied write must leave untouched: the records' rows, the event log and row counts."""
    return {
        "rows": [row(record) for record in records],
        "events": Event.objects.count(),
        "counts": {model.__name__: model.all_objects.count()  # type: ignore[attr-defined]
                   for model in (Customer, Contact, Touchpoint, Attachment, FollowUp)},  # fmt: skip
        "account_members": AccountMember.objects.count(),
    }


def form_post_data(form: Any) -> dict[str, Any]:
    """The POST body a browser would send for an unbound form as it was rendered."""
    from django import forms

    data: dict[str, Any] = {}
    for name, form_field in form.fields.items():
        value = form[name].value()
        if isinstance(form_field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            formatted = form_field.widget.format_value(value)
            data[name] = formatted[0] if isinstance(formatted, list) and formatted else (formatted or "")
    return data


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def text_of(response: Any) -> str:
    """A response's text; for an xlsx file, the text of its sheets and shared strings."""
    import io
    import zipfile

    raw = body_of(response)
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    return raw.decode("utf-8-sig")


@dataclass(frozen=True)
class Write:
    """A page that changes data: how to ask for it, and how to tell that it happened.

    `target` picks the record from a bundle; `prepare` readies it (a restore needs a deleted
    record); `data` is the POST body; `done` says whether the change is in the database; `watch`
    lists the records whose rows must stay untouched when the write is refused.
    """

    page: Page
    done: Callable[[World, Any], bool]
    target: Callable[[Bundle], Any]
    data: Callable[[World, User, Any], dict[str, Any]] = lambda world, user, record: {}
    prepare: Callable[[World, Any], None] | None = None
    watch: Callable[[Bundle], list[Any]] | None = None

    def permits(self, user: User, record: models.Model) -> bool:
        page = self.page
        return allowed(user, *page.gate, record) and (page.check is None or allowed(user, *page.check, record))


def check_page(client: Any, world: World, persona: str, page: Page, record: models.Model, target: str = "") -> Any:
    """Request a read-only page as the persona and assert the status the policy implies."""
    user = world.users[persona]
    expected = page.expected_status(user, record)
    client.force_login(user)
    response = page.request(client, record)
    assert response.status_code == expected, f"{persona} ({target} record) {page.method} {page.url(record)}"
    return response


def check_write(client: Any, world: World, persona: str, write: Write, bundle: Bundle, target: str = "") -> Any:
    """Make the write as the persona; assert the status, then the change or that nothing changed."""
    user = world.users[persona]
    record = write.target(bundle)
    if write.prepare:
        write.prepare(world, fresh(record))
    data = write.data(world, user, fresh(record))
    expected = write.page.expected_status(user, record)
    permitted = write.permits(user, record)
    watched = write.watch(bundle) if write.watch else [record]
    before = database_state(*watched)
    client.force_login(user)
    response = write.page.request(client, record, data)
    where = f"{persona} ({target} record) POST {write.page.url(record)}"
    assert response.status_code == expected, where
    if permitted:
        assert write.done(world, record), f"{where}: the change is not in the database"
        assert Event.objects.count() > before["events"], f"{where}: no event recorded"
    else:
        assert database_state(*watched) == before, f"{where}: a refused write changed the database"
    return response
