"""Lead pages: the list, entry with live duplicate matches, detail with assign/qualify/disqualify, import,
export; and the public enquiry form that needs no account."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.events import events_for_target
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.history import history_page
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.customers.access import can_create_customer, visible_contacts, visible_customers
from touchpoint.org.access import visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import Position, User
from touchpoint.org.policy import may
from touchpoint.sales import access
from touchpoint.sales.forms.leads import (
    OWNER_NONE,
    AssignForm,
    DisqualifyForm,
    EnquiryForm,
    LeadFilterForm,
    LeadForm,
    LeadImportForm,
    QualifyForm,
    enquiry_token,
    template_header,
)
from touchpoint.sales.models import Lead, LeadSource, LeadStatus
from touchpoint.sales.services import leads as services
from touchpoint.touchpoints.access import visible_touchpoints
from touchpoint.touchpoints.models import Touchpoint

PAGE_SIZE = 25
FORM = "sales/leads/lead_form.html"
DETAIL = "sales/leads/lead_detail.html"


def lead_for(request: AuthedRequest, pk: int) -> Lead:
    """The lead with this id if the user may see it; 404 otherwise, whether or not it exists."""
    leads = access.visible_leads(request.user).select_related("owner", "touchpoint", "customer", "contact", "opportunity")
    return get_object_or_404(leads, pk=pk)


def _lead_owners(request: AuthedRequest) -> QuerySet[User]:
    """People who work leads: active sales reps and managers the user may see."""
    positions = [Position.SALES_REP, Position.SALES_MANAGER]
    return (
        visible_users(request.user).filter(is_active=True, memberships__position__in=positions).distinct().order_by("username")
    )


def _visible_matches(user: Any, found: services.LeadMatches) -> tuple[services.LeadMatches, int]:
    """The matches the user may see, and how many others exist that they may not."""
    customer_ids = {m.record.pk for m in found.customers}
    contact_ids = {m.record.pk for m in found.contacts}
    seen_customers = set(visible_customers(user).filter(pk__in=customer_ids).values_list("pk", flat=True)) if customer_ids else set()
    seen_contacts = set(visible_contacts(user).filter(pk__in=contact_ids).values_list("pk", flat=True)) if contact_ids else set()
    hidden = len(customer_ids - seen_customers) + len(contact_ids - seen_contacts)
    return found.only(seen_customers, seen_contacts), hidden


def _filtered(request: AuthedRequest, form: LeadFilterForm, base: QuerySet[Lead]) -> QuerySet[Lead]:
    data = form.cleaned_data if form.is_bound else {}
    leads = base
    q = (data.get("q") or "").strip()
    if q:
        leads = search_filter(leads, q) if is_searchable(q) else leads.none()
    status = data.get("status") or ""
    if status in LeadStatus.values:
        leads = leads.filter(status=status)
    elif status != "all":
        leads = leads.filter(status__in=[LeadStatus.NEW, LeadStatus.WORKING])
    if data.get("source"):
        leads = leads.filter(source=data["source"])
    owner = data.get("owner") or ""
    if owner == "me":
        leads = leads.filter(owner_id=request.user.pk)
    elif owner == OWNER_NONE:
        leads = leads.filter(owner__isnull=True)
    elif owner.isdecimal():
        leads = leads.filter(owner_id=int(owner))
    return leads.order_by("-created_at", "-id")


def _filter_form(request: AuthedRequest) -> LeadFilterForm:
    may_assign = may(request.user, "lead", "assign")
    owners = list(_lead_owners(request)) if may_assign else []
    return LeadFilterForm(request.GET or None, owners=owners, show_unassigned=may_assign)


@login_required
@require_GET
def lead_list(request: AuthedRequest) -> HttpResponse:
    if not may(request.user, "lead", "view"):
        raise PermissionDenied
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return render(request, "sales/leads/lead_list.html", {"form": form, "page": None}, status=400)
    leads = _filtered(request, form, access.visible_leads(request.user)).select_related("owner")
    page = CappedPaginator(leads, PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "may_create": access.can_create_lead(request.user),
        "may_export": may(request.user, "lead", "export"),
    }
    template = "sales/leads/lead_list.html#results" if request.htmx else "sales/leads/lead_list.html"
    return render(request, template, context)


@login_required
@require_GET
def lead_export(request: AuthedRequest) -> HttpResponseBase:
    if not may(request.user, "lead", "export"):
        raise PermissionDenied
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    leads = _filtered(request, form, access.exportable_leads(request.user)).select_related("owner")
    header = [_("Company"), _("Unified social credit code"), _("Province"), _("City"), _("Contact name"), _("Title"),
              _("Phone"), _("Email"), _("What they asked about"), _("Source"), _("Status"), _("Owner"), _("Created")]  # fmt: skip
    rows = (
        [lead.company_name, lead.credit_code, lead.province, lead.city, lead.contact_name, lead.contact_title,
         lead.phone, lead.email, lead.interest, lead.get_source_display(), lead.get_status_display(),
         str(lead.owner or ""), timezone.localtime(lead.created_at).strftime("%Y-%m-%d %H:%M")]
        for lead in leads.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("leads", header, rows)
    return csv_response("leads", header, rows)


def _touchpoint_from(request: AuthedRequest) -> Touchpoint | None:
    raw = request.GET.get("touchpoint", "")
    if not raw:
        return None
    if not raw.isdecimal():
        raise PermissionDenied
    return get_object_or_404(visible_touchpoints(request.user).select_related("customer"), pk=int(raw))


def _prefill(touchpoint: Touchpoint) -> dict[str, Any]:
    customer = touchpoint.customer
    contact = touchpoint.contacts.order_by("pk").first()
    interest = "\n\n".join(part for part in [touchpoint.subject, touchpoint.notes] if part)
    initial = {"company_name": customer.name, "credit_code": customer.credit_code, "province": customer.province,
               "city": customer.city, "interest": interest[:5000]}  # fmt: skip
    if contact is not None:
        initial.update(contact_name=contact.name, contact_title=contact.title, phone=contact.mobile or contact.landline,
                       email=contact.email)  # fmt: skip
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: AuthedRequest) -> HttpResponse:
    if not access.can_create_lead(request.user):
        raise PermissionDenied
    touchpoint = _touchpoint_from(request)
    form = LeadForm(request.POST or None, initial=_prefill(touchpoint) if touchpoint else None)
    if request.method == "POST" and form.is_valid():
        # Whoever may open opportunities works the lead; anyone else passes it on, unassigned.
        owner = request.user if access.may_create_opportunities(request.user) else None
        try:
            lead = services.lead_create(
                by=request.user, owner=owner, touchpoint=touchpoint,
                source=LeadSource.TOUCHPOINT if touchpoint else LeadSource.MANUAL, **form.changed_values(),
            )  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Lead %(company)s saved.") % {"company": lead.company_name})
            return redirect("sales:lead_detail", pk=lead.pk)
    context = {"form": form, "touchpoint": touchpoint, **_matches_context(request, form.data if form.is_bound else form.initial)}
    return render(request, FORM, context, status=400 if form.errors else 200)


def _matches_context(request: AuthedRequest, values: Any) -> dict[str, Any]:
    found = services.find_matches(
        company_name=str(values.get("company_name") or "")[:100], credit_code=str(values.get("credit_code") or "")[:18],
        phone=str(values.get("phone") or "")[:24], email=str(values.get("email") or "")[:120],
    )  # fmt: skip
    matches, hidden = _visible_matches(request.user, found)
    return {"matches": matches, "hidden_matches": hidden}


@login_required
@require_GET
def lead_check(request: AuthedRequest) -> HttpResponse:
    """The duplicate matches for what is being typed: the `matches` fragment of the lead form."""
    if not (access.can_create_lead(request.user) or may(request.user, "lead", "edit")):
        raise PermissionDenied
    return render(request, f"{FORM}#matches", _matches_context(request, request.GET))


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not access.can_edit_lead(request.user, lead):
        raise PermissionDenied
    if lead.status in services.CLOSED:
        messages.error(request, _("A qualified or disqualified lead can no longer be edited."))
        return redirect("sales:lead_detail", pk=lead.pk)
    form = LeadForm(request.POST or None, instance=lead)

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        services.lead_update(lead=fresh, by=request.user, expected_version=version, **values)

    values = form.data if form.is_bound else {name: getattr(lead, name) for name in services.LEAD_FIELDS}
    return versioned_edit(request, form=form, record=lead, save=save, template=FORM,
                          context={"lead": lead, **_matches_context(request, values)},
                          saved_message=_("Lead saved."), success_url=reverse("sales:lead_detail", args=[lead.pk]))  # fmt: skip


def _detail_context(request: AuthedRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_edit = access.can_edit_lead(user, lead)
    is_open = lead.status not in services.CLOSED
    context: dict[str, Any] = {
        "lead": lead,
        "is_open": is_open,
        "can_edit": can_edit and is_open,
        "can_reopen": can_edit and lead.status == LeadStatus.DISQUALIFIED,
        "can_delete": access.can_delete_lead(user, lead),
        "can_assign": is_open and access.can_assign_lead(user, lead),
        "can_qualify": is_open and can_edit and access.may_create_opportunities(user),
        "events": list(events_for_target(lead).select_related("actor")[:20]),
    }
    if is_open:
        matches, hidden = _visible_matches(user, services.lead_matches(lead))
        context.update(matches=matches, hidden_matches=hidden)
        if context["can_assign"]:
            context["assign_form"] = forms.get("assign_form") or AssignForm(owners=_lead_owners(request),
                                                                            initial={"owner": lead.owner_id})  # fmt: skip
        if context["can_qualify"]:
            context["qualify_form"] = forms.get("qualify_form") or _qualify_form(request, lead, matches)
        if can_edit:
            context["disqualify_form"] = forms.get("disqualify_form") or DisqualifyForm()
    else:
        context["opportunity"] = lead.opportunity
    return context


def _qualify_form(request: AuthedRequest, lead: Lead, matches: services.LeadMatches, data: Any = None) -> QualifyForm:
    owners = _lead_owners(request) if access.can_assign_lead(request.user, lead) else User.objects.filter(pk=request.user.pk)
    form = QualifyForm(
        data, lead=lead, owners=owners, customers=[m.record for m in matches.customers],
        contacts=[m.record for m in matches.contacts],
    )  # fmt: skip
    form.fields["owner"].initial = lead.owner_id or request.user.pk
    return form


@login_required
@require_GET
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    return render(request, DETAIL, _detail_context(request, lead))


def _action_failed(request: AuthedRequest, lead: Lead, **forms: Any) -> HttpResponse:
    return render(request, DETAIL, _detail_context(request, lead, **forms), status=400)


@login_required
@require_POST
def lead_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not access.can_assign_lead(request.user, lead):
        raise PermissionDenied
    form = AssignForm(request.POST, owners=_lead_owners(request))
    if form.is_valid():
        try:
            services.lead_assign(lead=lead, owner=form.cleaned_data["owner"], by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Lead handed to %(owner)s.") % {"owner": form.cleaned_data["owner"]})
            return redirect("sales:lead_detail", pk=lead.pk)
    return _action_failed(request, lead, assign_form=form)


@login_required
@require_POST
def lead_qualify(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not (access.can_edit_lead(request.user, lead) and access.may_create_opportunities(request.user)):
        raise PermissionDenied
    matches, _hidden = _visible_matches(request.user, services.lead_matches(lead))
    form = _qualify_form(request, lead, matches, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        customer, contact = data["customer_record"], data["contact_record"]
        if customer is None and not can_create_customer(request.user, data["owner"]):
            form.add_error("customer", _("Your position does not allow creating customers; pick an existing one."))
        elif customer is not None and not access.can_create_opportunity(request.user, customer):
            form.add_error("customer", _("You may not open opportunities on this customer."))
        else:
            try:
                services.lead_qualify(
                    lead=lead, by=request.user, customer=customer, contact=contact, title=data["title"],
                    amount=data["amount"], close_date=data["close_date"], owner=data["owner"],
                    customer_type=data.get("customer_type") or "other",
                )  # fmt: skip
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Lead qualified: the customer, contact and opportunity are ready."))
                return redirect("sales:lead_detail", pk=lead.pk)
    return _action_failed(request, lead, qualify_form=form)


@login_required
@require_POST
def lead_disqualify(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not access.can_edit_lead(request.user, lead):
        raise PermissionDenied
    form = DisqualifyForm(request.POST)
    if form.is_valid():
        try:
            services.lead_disqualify(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Lead disqualified."))
            return redirect("sales:lead_detail", pk=lead.pk)
    return _action_failed(request, lead, disqualify_form=form)


@login_required
@require_POST
def lead_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not access.can_edit_lead(request.user, lead):
        raise PermissionDenied
    try:
        services.lead_reopen(lead=lead, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Lead reopened."))
    return redirect("sales:lead_detail", pk=lead.pk)


@login_required
@require_POST
def lead_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    if not access.can_delete_lead(request.user, lead):
        raise PermissionDenied
    services.lead_delete(lead=lead, by=request.user)
    messages.success(request, _("Lead %(company)s moved to the recycle bin.") % {"company": lead.company_name})
    return redirect("sales:lead_list")


@login_required
def lead_history(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = lead_for(request, pk)
    return history_page(request, lead, reverse("sales:lead_detail", args=[lead.pk]))


# --- Import --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def lead_import(request: AuthedRequest) -> HttpResponse:
    if not access.can_create_lead(request.user):
        raise PermissionDenied
    form = LeadImportForm(request.POST or None, request.FILES or None)
    problems: list[tuple[int, str, str]] = []
    if request.method == "POST" and form.is_valid():
        owner = request.user if access.may_create_opportunities(request.user) else None
        try:
            created = services.lead_import(by=request.user, rows=form.cleaned_data["file"], owner=owner)
        except services.ImportRefused as refused:
            problems = refused.rows
        else:
            messages.success(request, _("%(count)d leads imported.") % {"count": len(created)})
            return redirect("sales:lead_list")
    status = 400 if (form.errors or problems) else 200
    return render(request, "sales/leads/lead_import.html", {"form": form, "problems": problems[:500],
                                                             "more_problems": max(len(problems) - 500, 0)}, status=status)  # fmt: skip


@login_required
@require_GET
def lead_import_template(request: AuthedRequest) -> HttpResponseBase:
    if not access.can_create_lead(request.user):
        raise PermissionDenied
    example = [["上海示例证券有限公司", "", "上海", "上海", "张三", "信息技术部总监", "13800000000", "zhangsan@example.com",
                _("Margin trading system upgrade")]]  # fmt: skip
    if request.GET.get("format") == "csv":
        return csv_response("leads-template", template_header(), example)
    return xlsx_response("leads-template", template_header(), example)


# --- The public enquiry form ---------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _public_language(request: HttpRequest) -> None:
    """zh-Hans unless the visitor picked another language with the switch."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE


def _over_limit(ip: str | None) -> bool:
    if ip is None:
        return False
    since = timezone.now() - timedelta(hours=1)
    return Lead.all_objects.filter(submitted_from=ip, created_at__gte=since).count() >= settings.LEAD_FORM_PER_HOUR


@require_http_methods(["GET", "POST"])
def enquiry(request: HttpRequest) -> HttpResponse:
    _public_language(request)
    ip = _client_ip(request)
    if request.method == "POST" and _over_limit(ip):
        return render(request, "sales/leads/enquiry.html", {"limited": True}, status=429)
    form = EnquiryForm(request.POST or None)
    if request.method == "POST":
        if form.looks_like_a_bot:
            return redirect("sales:enquiry_thanks")  # accepted, as far as the bot can tell; nothing is kept
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k not in ("website", "started")}
            try:
                services.lead_create(by=None, source=LeadSource.WEB_FORM, submitted_from=ip, **values)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("sales:enquiry_thanks")
        if "started" in form.errors:
            refreshed = request.POST.copy()
            refreshed["started"] = enquiry_token()
            form.data = refreshed
    return render(request, "sales/leads/enquiry.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def enquiry_thanks(request: HttpRequest) -> HttpResponse:
    _public_language(request)
    return render(request, "sales/leads/enquiry.html", {"thanks": True})

