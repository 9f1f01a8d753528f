"""The customer's own records: home, installed products, maintenance contracts, project milestones,
shared documents, announcements and the knowledge base."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from touchpoint.portal import selectors
from touchpoint.portal.services import portal_touch
from touchpoint.portal.views.common import PortalRequest, not_found, portal_required

PAGE_SIZE = 20
HOME_SURVEYS = 5  # open surveys on the home page's "Your opinion" card


@portal_required
@require_GET
def home(request: PortalRequest) -> HttpResponse:
    today = timezone.localdate()
    contracts = list(selectors.portal_contracts(request.user).filter(ends_on__gte=today)[:5])
    return render(request, "portal/home.html", {
        "nav": "home", "open_requests": list(selectors.open_requests(request.user)[:8]),
        "open_count": selectors.open_requests(request.user).count(), "contracts": contracts, "today": today,
        "announcements": list(selectors.portal_announcements(request.user)[:3]),
        "open_surveys": list(selectors.open_surveys(request.user)[:HOME_SURVEYS]),
    })  # fmt: skip


@portal_required
@require_GET
def products(request: PortalRequest) -> HttpResponse:
    items = list(selectors.portal_installed(request.user))
    return render(request, "portal/products.html", {"nav": "products", "items": items})


@portal_required
@require_GET
def contracts(request: PortalRequest) -> HttpResponse:
    rows = list(selectors.portal_contracts(request.user).prefetch_related("items__module"))
    return render(request, "portal/contracts.html", {"nav": "contracts", "contracts": rows, "today": timezone.localdate()})


@portal_required
@require_GET
def milestones(request: PortalRequest) -> HttpResponse:
    rows = list(selectors.portal_milestones(request.user))
    projects: dict[int, dict] = {}
    for milestone in rows:
        projects.setdefault(milestone.project_id, {"project": milestone.project, "milestones": []})["milestones"].append(milestone)
    return render(request, "portal/milestones.html", {"nav": "milestones", "projects": list(projects.values()),
                                                      "today": timezone.localdate()})  # fmt: skip


@portal_required
@require_GET
def documents(request: PortalRequest) -> HttpResponse:
    rows = list(selectors.portal_documents(request.user))
    return render(request, "portal/documents.html", {"nav": "documents", "documents": rows})


@portal_required
@require_GET
def document_download(request: PortalRequest, pk: str) -> FileResponse:
    version = selectors.portal_document_version(request.user, pk)
    if version is None:
        raise not_found()
    portal_touch(by=request.user, subject=_("Downloaded %(title)s") % {"title": version.document.title},
                 link_type="delivery.projectdocument", link_id=version.document_id)  # fmt: skip
    response = FileResponse(version.file.open("rb"), as_attachment=True, filename=version.original_name,
                            content_type=version.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@portal_required
@require_GET
def announcements(request: PortalRequest) -> HttpResponse:
    page = Paginator(selectors.portal_announcements(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/announcements.html", {"nav": "announcements", "page": page})


@portal_required
@require_GET
def announcement(request: PortalRequest, pk: str) -> HttpResponse:
    found = selectors.portal_announcements(request.user).filter(pk=int(pk) if pk.isdigit() else 0).first()
    if found is None:
        raise not_found()
    return render(request, "portal/announcement.html", {"nav": "announcements", "announcement": found})


@portal_required
@require_GET
def knowledge(request: PortalRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    page = Paginator(selectors.portal_articles(request.user, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/knowledge.html", {"nav": "knowledge", "page": page, "q": q})


@portal_required
@require_GET
def article(request: PortalRequest, pk: str) -> HttpResponse:
    found = selectors.portal_articles(request.user).filter(pk=int(pk) if pk.isdigit() else 0).first()
    if found is None:
        raise not_found()
    return render(request, "portal/article.html", {"nav": "knowledge", "article": found})


@portal_required
@require_POST
def article_feedback(request: PortalRequest, pk: str) -> HttpResponse:
    from touchpoint.service.services.knowledge import article_feedback as vote

    found = selectors.portal_articles(request.user).filter(pk=int(pk) if pk.isdigit() else 0).first()
    if found is None:
        raise not_found()
    try:
        vote(article=found, by=request.user, helpful=request.POST.get("helpful") == "yes")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        portal_touch(by=request.user, subject=_("Rated the article %(title)s") % {"title": found.title},
                     link_type="service.article", link_id=found.pk)  # fmt: skip
        messages.success(request, _("Thank you for your feedback."))
    return redirect("portal:article", pk=found.pk)
