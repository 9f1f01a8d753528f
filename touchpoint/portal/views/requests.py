"""The customer's service requests: the list, a new request with files, and one request's page with
the public conversation, the SLA commitment, a reply, confirming or reopening, and the rating."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.portal import selectors
from touchpoint.portal.forms import RatingForm, ReopenForm, ReplyForm, RequestForm
from touchpoint.portal.services import (
    portal_request_confirm,
    portal_request_create,
    portal_request_reopen,
    portal_request_reply,
    portal_touch,
)
from touchpoint.portal.views.common import PortalRequest, not_found, portal_required, say_refused
from touchpoint.service.models import OPEN, ServiceRequest
from touchpoint.touchpoints.models import Attachment, Direction

PAGE_SIZE = 20
STATES = {"open": Q(status__in=OPEN), "done": ~Q(status__in=OPEN)}


def _request_for(request: PortalRequest, pk: str) -> ServiceRequest:
    found = selectors.portal_request(request.user, pk)
    if found is None:
        raise not_found()
    return found


@portal_required
@require_GET
def request_list(request: PortalRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    rows = selectors.portal_requests(request.user).filter(STATES.get(state, Q()))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/requests.html", {"nav": "requests", "page": page, "state": state})


@portal_required
@require_http_methods(["GET", "POST"])
def request_new(request: PortalRequest) -> HttpResponse:
    installed = selectors.portal_installed(request.user).exclude(status="retired")
    form = RequestForm(request.POST or None, request.FILES or None, installed=installed)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            created = portal_request_create(by=request.user, subject=values["subject"], description=values["description"],
                                            category=values["category"], severity=values["severity"], impact=values["impact"],
                                            installed_item=values["installed_item"], files=values["files"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Request %(number)s is logged. We will answer within the time shown below.")
                             % {"number": created.number})  # fmt: skip
            return redirect("portal:request", pk=created.pk)
    typed = f"{request.POST.get('subject', '')} {request.POST.get('description', '')}" if request.method == "POST" else ""
    suggestions = list(selectors.portal_articles(request.user, q=typed)[:5]) if typed.strip() else []
    return render(request, "portal/request_new.html", {"nav": "requests", "form": form, "suggestions": suggestions},
                  status=400 if form.errors else 200)  # fmt: skip


@portal_required
@require_GET
def suggestions(request: PortalRequest) -> HttpResponse:
    """Knowledge articles matching what the customer types (an htmx fragment of the new-request page)."""
    text = request.GET.get("subject", "")[:200]
    found = list(selectors.portal_articles(request.user, q=text)[:5]) if text.strip() else []
    return render(request, "portal/request_new.html#suggestions", {"suggestions": found})


def _files(service_request: ServiceRequest) -> list[Attachment]:
    """Files the customer may open: those on the public conversation and those the customer sent."""
    public = selectors.conversation(service_request).exclude(touchpoint=None).values("touchpoint_id")
    return list(Attachment.objects.filter(
        Q(touchpoint_id__in=public) | Q(touchpoint__direction=Direction.INBOUND),
        touchpoint__link_type="service.servicerequest", touchpoint__link_id=service_request.pk,
        customer_id=service_request.customer_id, touchpoint__deleted_at__isnull=True,
    ).order_by("id"))  # fmt: skip


def _survey(service_request: ServiceRequest):  # type: ignore[no-untyped-def]
    from touchpoint.service.models import Survey

    return Survey.objects.filter(kind="csat", request=service_request).first()


@portal_required
@require_GET
def request_detail(request: PortalRequest, pk: str) -> HttpResponse:
    service_request = _request_for(request, pk)
    return _detail(request, service_request, ReplyForm(), ReopenForm())


def _detail(request: PortalRequest, service_request: ServiceRequest, reply: ReplyForm, reopen: ReopenForm,
            status: int = 200) -> HttpResponse:  # fmt: skip
    survey = _survey(service_request)
    return render(request, "portal/request.html", {
        "nav": "requests", "item": service_request, "messages_list": list(selectors.conversation(service_request)),
        "files": _files(service_request), "reply_form": reply, "reopen_form": reopen, "survey": survey,
        "rating_form": RatingForm() if survey is not None and not survey.is_answered else None,
    }, status=status)  # fmt: skip


@portal_required
@require_POST
def request_reply(request: PortalRequest, pk: str) -> HttpResponse:
    service_request = _request_for(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            portal_request_reply(by=request.user, request=service_request, body=form.cleaned_data["body"],
                                 files=form.cleaned_data["files"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Your message was added to the request."))
            return redirect("portal:request", pk=service_request.pk)
    return _detail(request, service_request, form, ReopenForm(), status=400)


@portal_required
@require_POST
def request_confirm(request: PortalRequest, pk: str) -> HttpResponse:
    service_request = _request_for(request, pk)
    try:
        portal_request_confirm(by=request.user, request=service_request)
    except ValidationError as error:
        say_refused(request, error)
    else:
        messages.success(request, _("Thank you: the request is closed."))
    return redirect("portal:request", pk=service_request.pk)


@portal_required
@require_POST
def request_reopen(request: PortalRequest, pk: str) -> HttpResponse:
    service_request = _request_for(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            portal_request_reopen(by=request.user, request=service_request, reason=form.cleaned_data["body"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The request is open again; we are looking into it."))
            return redirect("portal:request", pk=service_request.pk)
    return _detail(request, service_request, ReplyForm(), form, status=400)


@portal_required
@require_POST
def request_rate(request: PortalRequest, pk: str) -> HttpResponse:
    from touchpoint.service.services.surveys import survey_answer

    service_request = _request_for(request, pk)
    survey = _survey(service_request)
    form = RatingForm(request.POST)
    if survey is None:
        messages.error(request, _("There is no survey for this request yet."))
    elif not form.is_valid():
        messages.error(request, _("Choose a score from 1 to 5."))
    else:
        try:
            survey_answer(score=form.cleaned_data["score"], comment=form.cleaned_data["comment"], survey=survey, by=request.user)
        except ValidationError as error:
            say_refused(request, error)
        else:
            portal_touch(by=request.user, subject=_("%(number)s: rated %(score)s of 5") % {
                "number": service_request.number, "score": form.cleaned_data["score"]},
                notes=form.cleaned_data["comment"], link_type="service.servicerequest", link_id=service_request.pk)  # fmt: skip
            messages.success(request, _("Thank you for rating our service."))
    return redirect("portal:request", pk=service_request.pk)


@portal_required
@require_GET
def request_file(request: PortalRequest, pk: str, file_pk: str) -> FileResponse:
    service_request = _request_for(request, pk)
    attachment = next((a for a in _files(service_request) if str(a.pk) == file_pk), None)
    if attachment is None:
        raise not_found()
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
