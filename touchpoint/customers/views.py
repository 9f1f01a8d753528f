"""Customer pages: the list, the customer 360, edit, delete and restore, reassignment, export."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.extensions import customer_actions, customer_counters, customer_panels, record_action_links
from touchpoint.core.forms import apply_validation_error, share_choices
from touchpoint.core.history import history_page
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers import access, selectors, services
from touchpoint.customers.forms import (
    AccountMemberForm,
    CustomerFilterForm,
    CustomerForm,
    CustomerMergeForm,
    ReassignForm,
    SavedFilterForm,
)
from touchpoint.customers.models import AccountMember, Customer, SavedFilter
from touchpoint.org.access import visible_departments, visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import User

PAGE_SIZE = 25


def customer_for(request: AuthedRequest, pk: int) -> Customer:
    """The customer with this id if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_customers(request.user).select_related("owner", "parent", "service_owner", "service_department")
    return get_object_or_404(queryset, pk=pk)


def _active_users(request: AuthedRequest) -> Any:
    return visible_users(request.user).filter(is_active=True).order_by("username")


def _query_from(form: CustomerFilterForm) -> selectors.CustomerQuery:
    data = form.cleaned_data
    return selectors.CustomerQuery(
        q=data.get("q") or "", status=data.get("status") or "", customer_type=data.get("customer_type") or "",
        province=data.get("province") or "", size_tier=data.get("size_tier") or "",
        owner=data["owner"].pk if data.get("owner") else None, tag=data["tag"].pk if data.get("tag") else None,
        sort=data.get("sort") or "name",
    )  # fmt: skip


@login_required
@require_GET
def customer_list(request: AuthedRequest) -> HttpResponse:
    owners = _active_users(request)
    form = CustomerFilterForm(request.GET or None, owners=owners)
    if request.GET and not form.is_valid():
        return render(request, "customers/customer_list.html", {"form": form, "page": None}, status=400)
    query = _query_from(form) if request.GET else selectors.CustomerQuery()
    customers = selectors.customer_list(user=request.user, query=query)
    page = CappedPaginator(customers, PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    may_assign = access.may_assign_customers(request.user)
    reassign_form = ReassignForm(owners=owners) if may_assign else None
    if reassign_form is not None:
        share_choices(form.fields["owner"], reassign_form.fields["owner"])  # type: ignore[arg-type]
    context = {
        "form": form,
        "page": page,
        "saved_filters": SavedFilter.objects.filter(user=request.user, list_name="customers"),
        "may_export": access.may_export_customers(request.user),
        "may_assign": may_assign,
        "may_create": access.can_create_customer(request.user),
        "reassign_form": reassign_form,
    }
    template = "customers/customer_list.html#results" if request.htmx else "customers/customer_list.html"
    return render(request, template, context)


@login_required
@require_POST
def saved_filter_create(request: AuthedRequest) -> HttpResponse:
    form = SavedFilterForm(request.POST)
    query = request.POST.get("query", "")[:1000]
    if form.is_valid():
        SavedFilter.objects.update_or_create(
            user=request.user, list_name="customers", name=form.cleaned_data["name"], defaults={"query": query}
        )
        messages.success(request, _("Filter saved."))
    else:
        messages.error(request, _("Give the filter a name of up to 40 characters."))
    return redirect(f"{reverse('customers:list')}?{query}")


@login_required
@require_POST
def saved_filter_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    SavedFilter.objects.filter(user=request.user, pk=pk).delete()
    return redirect("customers:list")


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: AuthedRequest) -> HttpResponse:
    if not access.can_create_customer(request.user):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, parents=access.visible_customers(request.user))
    if request.method == "POST" and form.is_valid():
        values = form.changed_values()
        tags = list(values.pop("tags", []))
        try:
            customer = services.customer_create(by=request.user, owner=request.user, tags=tags, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    if not access.can_edit_customer(request.user, customer):
        raise PermissionDenied
    parents = access.visible_customers(request.user).exclude(pk=customer.pk)
    form = CustomerForm(request.POST or None, instance=customer, parents=parents)

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        tags = list(values.pop("tags", []))
        services.customer_update(customer=fresh, by=request.user, expected_version=version, tags=tags, **values)

    return versioned_edit(request, form=form, record=customer, save=save, template="customers/customer_form.html",
                          context={"customer": customer}, saved_message=_("Customer saved."),
                          success_url=reverse("customers:detail", args=[customer.pk]))  # fmt: skip


@login_required
def customer_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    user = request.user
    events = selectors.customer_timeline(user=user, customer=customer)
    contacts, contact_total = selectors.customer_contacts(user=user, customer=customer)
    context = {
        "customer": customer,
        "contacts": contacts,
        "contact_total": contact_total,
        "branches": selectors.customer_branches(user=user, customer=customer),
        "team": AccountMember.objects.filter(customer=customer).select_related("user").order_by("role"),
        "tags": list(customer.tags.all()),
        "counters": [
            {"label": c.label, "value": c.count(user, customer)}
            for c in sorted(customer_counters.values(), key=lambda c: c.order)
        ],
        "panels": customer_panels.render_context(request, user.positions, customer=customer),  # type: ignore[union-attr]
        "actions": record_action_links(customer_actions, user, customer),
        **_timeline_context(customer, events, {}),
        "timeline_filters": _timeline_filter_choices(request),
        "can_edit": access.can_edit_customer(user, customer),
        "can_delete": access.can_delete_customer(user, customer),
        "can_assign": access.can_assign_customer(user, customer),
        "can_add_contact": access.can_create_contact(user, customer),
    }
    return render(request, "customers/customer_detail.html", context)


def _timeline_filter_choices(request: AuthedRequest) -> dict[str, Any]:
    return {
        "channels": Channel.choices,
        "departments": list(visible_departments(request.user)),
        "kinds": EventKind.choices,
    }


def _timeline_context(customer: Customer, events: list, filters: dict[str, Any]) -> dict[str, Any]:
    has_more = len(events) > selectors.TIMELINE_PAGE
    events = events[: selectors.TIMELINE_PAGE]
    next_url = ""
    if has_more and events:
        last = events[-1]
        params = {**{k: v for k, v in filters.items() if v}, "before": f"{last.occurred_at.isoformat()}|{last.pk}"}
        next_url = f"{reverse('customers:timeline', args=[customer.pk])}?{urlencode(params)}"
    return {"events": events, "next_url": next_url}


@login_required
@require_GET
def customer_timeline(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    filters = {k: request.GET.get(k, "")[:32] for k in ("channel", "department", "kind")}
    before = None
    if request.GET.get("before"):
        at, _sep, event_id = request.GET["before"].partition("|")
        parsed: datetime | None = parse_datetime(at.replace(" ", "+"))
        if parsed is None or not event_id.isdecimal():
            return HttpResponseBadRequest(_("Invalid timeline position."))
        before = (parsed.isoformat(), int(event_id))
    department = int(filters["department"]) if filters["department"].isdecimal() else None
    events = selectors.customer_timeline(
        user=request.user, customer=customer, channel=filters["channel"], department=department,
        kind=filters["kind"], before=before,
    )  # fmt: skip
    context = {"customer": customer, **_timeline_context(customer, events, filters)}
    return render(request, "customers/customer_detail.html#timeline-items", context)


@login_required
@require_POST
def customer_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    if not access.can_delete_customer(request.user, customer):
        raise PermissionDenied
    try:
        services.customer_delete(customer=customer, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("customers:detail", pk=customer.pk)
    messages.success(request, _("Customer %(name)s moved to the recycle bin.") % {"name": customer.name})
    return redirect("customers:list")


@login_required
@require_POST
def customer_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(access.deleted_customers(request.user), pk=pk)
    try:
        services.customer_restore(customer=customer, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("recycle_bin")
    messages.success(request, _("Customer %(name)s restored.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)


@login_required
def customer_history(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    return history_page(request, customer, reverse("customers:detail", args=[customer.pk]))


@login_required
@require_POST
def customer_reassign(request: AuthedRequest) -> HttpResponse:
    """Bulk owner reassignment from the list; each move is a logged handoff."""
    form = ReassignForm(request.POST, owners=_active_users(request))
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdecimal()][:500]
    chosen = list(access.visible_customers(request.user).filter(pk__in=ids).select_related("owner"))
    back = f"{reverse('customers:list')}?{request.POST.get('query', '')[:1000]}"
    if not form.is_valid() or not chosen:
        messages.error(request, _("Choose customers, a new owner and give a reason."))
        return redirect(back)
    if any(not access.can_assign_customer(request.user, customer) for customer in chosen):
        raise PermissionDenied
    owner: User = form.cleaned_data["owner"]
    try:
        moved = services.customer_bulk_reassign(customers=chosen, owner=owner, by=request.user,
                                                reason=form.cleaned_data["reason"])  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    text = ngettext("%(count)d customer handed to %(owner)s.", "%(count)d customers handed to %(owner)s.", moved)
    messages.success(request, text % {"count": moved, "owner": owner})
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def customer_team(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    if not access.can_edit_customer(request.user, customer):
        raise PermissionDenied
    form = AccountMemberForm(request.POST or None, users=_active_users(request))
    if request.method == "POST":
        remove = request.POST.get("remove")
        try:
            if remove and remove.isdecimal():
                member = get_object_or_404(User, pk=int(remove), account_roles__customer=customer)
                services.account_member_remove(customer=customer, user=member, by=request.user)
                return redirect("customers:team", pk=customer.pk)
            if form.is_valid():
                services.account_member_set(customer=customer, user=form.cleaned_data["user"],
                                            role=form.cleaned_data["role"], by=request.user)  # fmt: skip
                return redirect("customers:team", pk=customer.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    team = AccountMember.objects.filter(customer=customer).select_related("user").order_by("role")
    return render(request, "customers/customer_team.html", {"customer": customer, "team": team, "form": form})


@login_required
@require_GET
def customer_export(request: AuthedRequest) -> HttpResponseBase:
    if not access.may_export_customers(request.user):
        raise PermissionDenied
    form = CustomerFilterForm(request.GET or None, owners=_active_users(request))
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    query = _query_from(form) if form.is_bound else selectors.CustomerQuery()
    customers = selectors.customer_list(user=request.user, query=query, base=access.exportable_customers(request.user))
    header = [_("Name"), _("Short name"), _("Unified social credit code"), _("Type"), _("Status"), _("Province"),
              _("City"), _("Size"), _("Owner"), _("Parent customer"), _("Last contact"), _("Notes")]  # fmt: skip
    rows = (
        [c.name, c.short_name, c.credit_code, c.get_customer_type_display(), c.get_status_display(), c.province,
         c.city, c.get_size_tier_display(), str(c.owner), c.parent.name if c.parent else "",
         c.last_touch_at.strftime("%Y-%m-%d %H:%M") if c.last_touch_at else "", c.notes]
        for c in customers.select_related("parent").iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("customers", header, rows)
    return csv_response("customers", header, rows)



@login_required
@require_http_methods(["GET", "POST"])
def customer_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Fold another customer into this one; needs edit here and delete on the one that goes."""
    customer = customer_for(request, pk)
    if not access.can_edit_customer(request.user, customer):
        raise PermissionDenied
    candidates = access.visible_customers(request.user).exclude(pk=customer.pk).order_by("name")
    form = CustomerMergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        if not access.can_delete_customer(request.user, duplicate):
            raise PermissionDenied
        try:
            services.customer_merge(keep=customer, duplicate=duplicate, by=request.user,
                                    reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(merged)s merged into %(kept)s.") % {"merged": duplicate.name,
                                                                              "kept": customer.name})  # fmt: skip
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_merge.html", {"customer": customer, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip
