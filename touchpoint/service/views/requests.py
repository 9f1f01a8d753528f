"""The agent's request pages: the queue and its export, logging a request, the request page and the
actions on it (reply, note, transfer, assign, case owner, status), each an htmx form that re-renders
the request's workspace."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.customers.access import visible_customers
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.service import selectors
from touchpoint.service.access import REQUEST, can_assign_request, can_work_request, may_log_requests
from touchpoint.service.forms import (
    AssignForm,
    IntakeForm,
    NoteForm,
    OwnerForm,
    ReplyForm,
    RequestFilterForm,
    StatusForm,
    TransferForm,
)
from touchpoint.service.models import ServiceRequest
from touchpoint.service.services import requests as services
from touchpoint.service.templatetags.service_tags import sla_facts
from touchpoint.service.views.common import PAGE_SIZE, request_for, require

WORKSPACE = "service/requests/detail.html#workspace"

# --- The list ---------------------------------------------------------------------------------------


def _query(form: RequestFilterForm, default_view: str = "mine") -> selectors.RequestQuery:
    data = form.cleaned_data if form.is_bound else {}
    return selectors.RequestQuery(
        view=data.get("view") or default_view, status=data.get("status") or "", severity=data.get("severity") or "",
        queue_id=data["queue"].pk if data.get("queue") else None,
        department_id=data["department"].pk if data.get("department") else None,
        customer_id=data.get("customer") or None, category=data.get("category") or "", channel=data.get("channel") or "",
        sla_state=data.get("sla") or "", bounced=bool(data.get("bounced")), stuck=bool(data.get("stuck")),
        needs_triage=bool(data.get("triage")), q=data.get("q") or "", sort=data.get("sort") or "due",
    )  # fmt: skip


@login_required
@require_GET
def request_list(request: AuthedRequest, default_view: str = "mine") -> HttpResponse:
    require(may(request.user, "service_request", "view"))
    form = RequestFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "service/requests/list.html", {"form": form, "page": None, "view": default_view}, status=400)
    query = _query(form, default_view)
    rows = selectors.request_list(user=request.user, query=query)
    page = selectors.peek_page(rows, page=request.GET.get("page"), per_page=PAGE_SIZE)
    context = {"form": form, "page": page, "view": query.view, "now": timezone.now(),
               "may_export": may(request.user, "service_request", "export")}  # fmt: skip
    return render(request, "service/requests/list.html#results" if request.htmx else "service/requests/list.html", context)


@login_required
@require_GET
def request_export(request: AuthedRequest) -> HttpResponseBase:
    require(may(request.user, "service_request", "export"))
    form = RequestFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    base = REQUEST.scoped(request.user, "export", ServiceRequest.objects.all())
    rows = selectors.request_list(user=request.user, query=_query(form), base=base)
    header = [_("Number"), _("Customer"), _("Subject"), _("Category"), _("Severity"), _("Status"), _("Channel"),
              _("Case owner"), _("Queue"), _("Assignee"), _("Department"), _("SLA"), _("First response due"),
              _("Resolution due"), _("Department hops"), _("Bounced"), _("Stuck"), _("Escalation level"), _("Logged at")]  # fmt: skip
    yes, no = _("yes"), _("no")

    def when(moment: Any) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    lines = (
        [r.number, r.customer.name if r.customer else r.requester_email, r.subject, r.get_category_display(), r.severity,
         r.get_status_display(), r.get_channel_display(), str(r.owner or ""), str(r.queue or ""), str(r.assignee or ""),
         str(r.department or ""), r.get_sla_state_display(), when(r.response_due_at), when(r.resolution_due_at), r.hops,
         yes if r.bounced else no, yes if r.stuck else no, r.escalation_level, when(r.created_at)]
        for r in rows.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "csv":
        return csv_response("service-requests", header, lines)
    return xlsx_response("service-requests", header, lines)


# --- Logging a request --------------------------------------------------------------------------------


def _loggable(request: AuthedRequest) -> Any:
    require(may_log_requests(request.user))
    return visible_customers(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthedRequest) -> HttpResponse:
    customers = _loggable(request)
    wanted = request.GET.get("customer", "")
    initial = {"customer": int(wanted)} if wanted.isdecimal() and customers.filter(pk=int(wanted)).exists() else {}
    form = IntakeForm(request.POST or None, request.FILES or None, customers=customers, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        files = values.pop("attachments")
        try:
            logged = services.request_create(by=request.user, files=files, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Request %(number)s logged.") % {"number": logged.number})
            return redirect("service:request_detail", pk=logged.pk)
    return render(request, "service/requests/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def request_new_customers(request: AuthedRequest) -> HttpResponse:
    """The customer picker's options for what was typed (htmx)."""
    customers = _loggable(request)
    q = request.GET.get("customer_q", "").strip()[:60]
    found = customers.filter(Q(name__icontains=q) | Q(short_name__icontains=q)) if q else customers.none()
    return render(request, "service/requests/new.html#customer-options", {"customers": found.order_by("name")[:20]})


@login_required
@require_GET
def request_new_fields(request: AuthedRequest) -> HttpResponse:
    """The contact and installed-module pickers of the chosen customer (htmx)."""
    customers = _loggable(request)
    form = IntakeForm(customers=customers, initial={"customer": request.GET.get("customer", "")})
    return render(request, "service/requests/new.html#customer-fields", {"form": form})


# --- The request page -----------------------------------------------------------------------------------


def _workspace(request: AuthedRequest, sr: ServiceRequest, **bound: Any) -> dict[str, Any]:
    """Everything the request page shows; `bound` replaces a blank action form by the one just posted."""
    user = request.user
    can_work, can_assign = can_work_request(user, sr), can_assign_request(user, sr)
    conversation, loose = selectors.request_conversation(user, sr)
    version = {"version": sr.version}
    forms: dict[str, Any] = {}
    if can_work and sr.customer_id is not None:
        forms["reply_form"] = ReplyForm()
    if can_work:
        forms["note_form"] = NoteForm()
        forms["transfer_form"] = TransferForm(initial=version) if sr.is_open else None
        forms["status_form"] = StatusForm(initial=version, request=sr)
    if can_assign and sr.is_open:
        forms["assign_form"] = AssignForm(initial=version, request=sr)
    if can_assign:
        forms["owner_form"] = OwnerForm(initial=version)
    forms.update(bound)
    now = timezone.now()
    return {
        "sr": sr, "can_work": can_work, "can_assign": can_assign, "now": now, "sla": sla_facts(sr, now),
        "hold_reason": services.service_hold_reason(sr.customer),
        "conversation": conversation, "loose_attachments": loose, "history": selectors.request_history(sr),
        "inbound_mails": selectors.request_inbound_mails(sr), **forms,
    }  # fmt: skip


@login_required
@require_GET
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    return render(request, "service/requests/detail.html", _workspace(request, sr))


@login_required
@require_GET
def request_attachment(request: AuthedRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A file of the request's conversation, for whoever may see the request."""
    sr = request_for(request, pk)
    attachment = selectors.request_attachment(sr, attachment_pk)
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _Stale(Exception):
    pass


def _act(request: AuthedRequest, sr: ServiceRequest, form: Any, name: str, do: Callable[[dict[str, Any]], Any],
         done: str) -> HttpResponse:  # fmt: skip
    """Validate, check the version the user saw, call the service; answer with the workspace again."""
    status = 200
    notice = ""
    if not form.is_valid():
        status = 400
    else:
        try:
            with transaction.atomic():
                if "version" in form.fields:
                    current = ServiceRequest.objects.select_for_update().filter(pk=sr.pk).values_list("version", flat=True).first()
                    if current != form.cleaned_data["version"]:
                        raise _Stale
                do(form.cleaned_data)
        except _Stale:
            status = 409
        except ValidationError as error:
            apply_validation_error(form, error)
            status = 400
        else:
            notice = done
    if not request.htmx:
        if status == 200:
            messages.success(request, notice)
        elif status == 409:
            messages.error(request, _("Someone else changed this request while you were looking at it; nothing was saved."))
        else:
            messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect("service:request_detail", pk=sr.pk)
    try:
        fresh = request_for(request, sr.pk)
    except Http404:
        # The move took the request out of the user's sight (an engineer sending it back to L1).
        messages.success(request, notice)
        return HttpResponse(status=204, headers={"HX-Redirect": reverse("service:requests")})
    context = _workspace(request, fresh, **({} if status == 200 else {name: _rebound(form, fresh)}))
    context.update({"notice": notice, "stale": status == 409, "open_form": "" if status == 200 else name})
    return render(request, WORKSPACE, context, status=status)


def _rebound(form: Any, fresh: ServiceRequest) -> Any:
    """After a conflict the form keeps what the user typed but carries the current version."""
    if "version" in form.fields and not form.errors:
        data = form.data.copy()
        data["version"] = str(fresh.version)
        form.data = data
    return form


@login_required
@require_POST
def request_reply(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_work_request(request.user, sr))
    return _act(
        request,
        sr,
        ReplyForm(request.POST),
        "reply_form",
        lambda data: services.request_reply(request=sr, by=request.user, body=data["body"]),
        _("Reply sent."),
    )


@login_required
@require_POST
def request_note(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_work_request(request.user, sr))
    return _act(
        request,
        sr,
        NoteForm(request.POST),
        "note_form",
        lambda data: services.request_note(request=sr, by=request.user, body=data["body"]),
        _("Note added."),
    )


@login_required
@require_POST
def request_transfer(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_work_request(request.user, sr))
    return _act(request, sr, TransferForm(request.POST), "transfer_form",
                lambda data: services.request_transfer(request=sr, by=request.user, queue=data["queue"], reason=data["reason"]),
                _("Request transferred."))  # fmt: skip


@login_required
@require_POST
def request_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_assign_request(request.user, sr))
    return _act(request, sr, AssignForm(request.POST, request=sr), "assign_form",
                lambda data: services.request_assign(request=sr, by=request.user, user=data["user"], reason=data["reason"]),
                _("Request assigned."))  # fmt: skip


@login_required
@require_POST
def request_owner(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_assign_request(request.user, sr))
    return _act(request, sr, OwnerForm(request.POST), "owner_form",
                lambda data: services.request_set_owner(request=sr, by=request.user, owner=data["owner"], reason=data["reason"]),
                _("Case owner changed."))  # fmt: skip


@login_required
@require_POST
def request_status(request: AuthedRequest, pk: int) -> HttpResponse:
    sr = request_for(request, pk)
    require(can_work_request(request.user, sr))
    return _act(request, sr, StatusForm(request.POST, request=sr), "status_form",
                lambda data: services.request_set_status(request=sr, by=request.user, status=data["status"], note=data["note"],
                                                         resolution=data["resolution"]),
                _("Status changed."))  # fmt: skip


urlpatterns = [
    path("requests/", request_list, name="requests"),
    path("requests/all/", request_list, {"default_view": "all"}, name="requests_all"),
    path("requests/export/", request_export, name="request_export"),
    path("requests/new/", request_new, name="request_new"),
    path("requests/new/customers/", request_new_customers, name="request_new_customers"),
    path("requests/new/fields/", request_new_fields, name="request_new_fields"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
    path("requests/<int:pk>/attachments/<int:attachment_pk>/", request_attachment, name="request_attachment"),
    path("requests/<int:pk>/reply/", request_reply, name="request_reply"),
    path("requests/<int:pk>/note/", request_note, name="request_note"),
    path("requests/<int:pk>/transfer/", request_transfer, name="request_transfer"),
    path("requests/<int:pk>/assign/", request_assign, name="request_assign"),
    path("requests/<int:pk>/owner/", request_owner, name="request_owner"),
    path("requests/<int:pk>/status/", request_status, name="request_status"),
]
