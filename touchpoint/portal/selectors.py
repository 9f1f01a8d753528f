"""Reads of the portal. Every one starts from the customer user's own customers: the service
requests through the service app's access functions (their Rules name a `portal_path`), the rest by
the customer key every record carries."""

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from touchpoint.delivery.models import DocumentVersion, Milestone, ProjectDocument
from touchpoint.portal.access import customer_ids
from touchpoint.portal.models import Announcement, Audience
from touchpoint.sales.models import InstalledItem
from touchpoint.service.access import visible_requests
from touchpoint.service.models import OPEN, MaintenanceContract, MessageKind, RequestMessage, ServiceRequest

# What a customer may read of a shared project document: acceptance certificates and training
# material, and anything else the project team marked as shared.
PUBLIC_MESSAGE_KINDS = (MessageKind.INBOUND, MessageKind.REPLY)


def portal_requests(user: Any) -> QuerySet[ServiceRequest]:
    return visible_requests(user).select_related("installed_item__module", "product_version").order_by("-created_at", "-id")


def portal_request(user: Any, pk: Any) -> ServiceRequest | None:
    """One request of the user's customers by id, or None (the caller answers 404 either way)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return visible_requests(user).select_related("installed_item__module", "contact").filter(pk=number).first()


def open_requests(user: Any) -> QuerySet[ServiceRequest]:
    return portal_requests(user).filter(status__in=OPEN)


def conversation(request: ServiceRequest) -> QuerySet[RequestMessage]:
    """The public conversation of a request: the customer's messages and the replies, never notes."""
    return request.messages.filter(kind__in=PUBLIC_MESSAGE_KINDS).order_by("created_at", "id")


def portal_contracts(user: Any) -> QuerySet[MaintenanceContract]:
    return MaintenanceContract.objects.filter(customer_id__in=customer_ids(user)).order_by("-ends_on", "id")


def portal_installed(user: Any) -> QuerySet[InstalledItem]:
    return (
        InstalledItem.objects.filter(customer_id__in=customer_ids(user))
        .select_related("product", "module", "version")
        .order_by("product__code", "module__code", "id")
    )


def portal_milestones(user: Any) -> QuerySet[Milestone]:
    return Milestone.objects.filter(customer_id__in=customer_ids(user)).select_related("project").order_by("project_id", "due_on", "id")


def portal_documents(user: Any) -> QuerySet[ProjectDocument]:
    latest = DocumentVersion.objects.order_by("-number")
    return (
        ProjectDocument.objects.filter(customer_id__in=customer_ids(user), shared_with_customer=True, current_version__gt=0)
        .select_related("project")
        .prefetch_related(Prefetch("versions", queryset=latest))
        .order_by("project_id", "kind", "title", "id")
    )


def portal_document_version(user: Any, pk: Any) -> DocumentVersion | None:
    """The latest version of a document shared with the user's customers, by id; None otherwise."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    document = portal_documents(user).filter(pk=number).first()
    if document is None:
        return None
    return DocumentVersion.objects.filter(document=document).order_by("-number").first()


def portal_announcements(user: Any, *, now: Any = None) -> QuerySet[Announcement]:
    """Announcements published now to all customers or to one of the user's customers."""
    now = now or timezone.now()
    ids = customer_ids(user)
    addressed = Announcement.customers.through.objects.filter(announcement_id=OuterRef("pk"), customer_id__in=ids)
    return (
        Announcement.objects.filter(published_from__lte=now)
        .filter(Q(published_to__isnull=True) | Q(published_to__gt=now))
        .filter(Q(audience=Audience.ALL) | Q(Exists(addressed)))
        .order_by("-published_from", "-id")
    )


def portal_articles(user: Any, *, q: str = "") -> QuerySet[Any]:
    """Published customer-visible knowledge articles; with `q`, those sharing a term with it."""
    from touchpoint.service.models import Article, ArticleStatus, ArticleVisibility
    from touchpoint.service.services.knowledge import matching_any, text_terms

    if not customer_ids(user):
        return Article.objects.none()
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.CUSTOMER)
    if q.strip():
        articles = matching_any(articles, text_terms(q[:200], 12))
    return articles.select_related("product").order_by("-published_at", "-id")


def portal_surveys(user: Any) -> QuerySet[Any]:
    """The satisfaction surveys addressed to this customer user, answered or not, newest first.

    An account tied to a contact gets the surveys sent to that contact. An account without a contact
    gets the surveys of its customers sent to no contact in particular (a CSAT of a request logged
    without one): what is addressed to the customer as a whole. A colleague's survey is never shown,
    so nobody answers in another person's name."""
    from touchpoint.portal.access import portal_account
    from touchpoint.service.access import visible_surveys

    account = portal_account(user)
    if account is None:
        return visible_surveys(user).none()
    rows = visible_surveys(user)
    rows = rows.filter(contact_id=account.contact_id) if account.contact_id else rows.filter(contact__isnull=True)
    return rows.select_related("request").order_by("-sent_at", "-id")


def portal_survey(user: Any, pk: Any) -> Any:
    """One survey addressed to the user by id, or None (the caller answers 404 either way)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return portal_surveys(user).filter(pk=number).first()


def open_surveys(user: Any) -> QuerySet[Any]:
    """The surveys still waiting for the user's answer: the quarterly NPS first, then the CSAT of each
    resolved request ("nps" sorts after "csat", hence the descending kind)."""
    return portal_surveys(user).filter(answered_at__isnull=True).order_by("-kind", "-sent_at", "-id")
