"""Contact pages: list, detail, create with duplicate detection, edit, delete, restore, merge; and search."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.history import history_page
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.customers import access, selectors, services
from touchpoint.customers.forms import ContactForm, MergeForm
from touchpoint.customers.models import Contact, ContactStatus, DecisionRole
from touchpoint.customers.views import customer_for
from touchpoint.org.http import AuthedRequest


def contact_for(request: AuthedRequest, pk: int) -> Contact:
    return get_object_or_404(access.visible_contacts(request.user).select_related("customer"), pk=pk)


def _contact_rows(request: AuthedRequest, base: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    contacts = access.visible_contacts(request.user) if base is None else base
    q = request.GET.get("q", "").strip()[:100]
    if q:
        contacts = search_filter(contacts, q) if is_searchable(q) else contacts.none()
    status = request.GET.get("status", "")
    if status in ContactStatus.values:
        contacts = contacts.filter(status=status)
    customer = request.GET.get("customer", "")
    if customer.isdecimal():
        contacts = contacts.filter(customer_id=int(customer))
    role = request.GET.get("decision_role", "")
    if role in DecisionRole.values:
        contacts = contacts.filter(decision_role=role)
    return contacts.select_related("customer").order_by("name", "id")


@login_required
@require_GET
def contact_list(request: AuthedRequest) -> HttpResponse:
    page = CappedPaginator(_contact_rows(request), 25, page=request.GET.get("page")).get_page(request.GET.get("page"))
    context = {"page": page, "statuses": ContactStatus.choices, "roles": DecisionRole.choices,
               "may_export": access.may_export_contacts(request.user)}  # fmt: skip
    return render(request, "customers/contact_list.html", context)


@login_required
@require_GET
def contact_export(request: AuthedRequest) -> HttpResponseBase:
    if not access.may_export_contacts(request.user):
        raise PermissionDenied
    contacts = _contact_rows(request, access.exportable_contacts(request.user))
    header = [_("Name"), _("Customer"), _("Title"), _("Department"), _("Decision role"), _("Mobile"),
              _("Landline"), _("Email"), _("WeChat ID"), _("Status")]  # fmt: skip
    rows = (
        [c.name, c.customer.name, c.title, c.department_name, c.get_decision_role_display(), c.mobile, c.landline,
         c.email, c.wechat_id, c.get_status_display()]
        for c in contacts.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("contacts", header, rows)
    return csv_response("contacts", header, rows)


@login_required
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = contact_for(request, pk)
    context = {
        "contact": contact,
        "can_edit": access.can_edit_contact(request.user, contact),
        "can_delete": access.can_delete_contact(request.user, contact),
        "duplicates": services.contact_duplicates(customer=contact.customer, name=contact.name, mobile=contact.mobile,
                                                  email=contact.email, exclude_pk=contact.pk),  # fmt: skip
    }
    return render(request, "customers/contact_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_for(request, customer_pk)
    if not access.can_create_contact(request.user, customer):
        raise PermissionDenied
    form = ContactForm(request.POST or None)
    duplicates: list[Contact] = []
    hidden = 0
    if request.method == "POST" and form.is_valid():
        values = form.changed_values()
        duplicates = services.contact_duplicates(customer=customer, name=values["name"],
                                                 mobile=values.get("mobile", ""), email=values.get("email", ""))  # fmt: skip
        hidden = sum(1 for d in duplicates if not access.can_view_contact(request.user, d))
        if not duplicates or form.cleaned_data.get("confirm_duplicates"):
            try:
                contact = services.contact_create(by=request.user, customer=customer, **values)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
                return redirect("customers:detail", pk=customer.pk)
    status = 400 if form.errors else (409 if duplicates else 200)
    return render(request, "customers/contact_form.html",
                  {"form": form, "customer": customer, "hidden_duplicates": hidden,
                   "duplicates": [d for d in duplicates if hidden == 0 or access.can_view_contact(request.user, d)]},
                  status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = contact_for(request, pk)
    if not access.can_edit_contact(request.user, contact):
        raise PermissionDenied

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        services.contact_update(contact=fresh, by=request.user, expected_version=version, **values)

    return versioned_edit(request, form=ContactForm(request.POST or None, instance=contact), record=contact, save=save,
                          template="customers/contact_form.html",
                          context={"customer": contact.customer, "contact": contact}, saved_message=_("Contact saved."),
                          success_url=reverse("customers:contact_detail", args=[contact.pk]))  # fmt: skip


@login_required
@require_POST
def contact_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = contact_for(request, pk)
    if not access.can_delete_contact(request.user, contact):
        raise PermissionDenied
    services.contact_delete(contact=contact, by=request.user)
    messages.success(request, _("Contact %(name)s moved to the recycle bin.") % {"name": contact.name})
    return redirect("customers:detail", pk=contact.customer_id)


@login_required
@require_POST
def contact_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(access.deleted_contacts(request.user), pk=pk)
    services.contact_restore(contact=contact, by=request.user)
    messages.success(request, _("Contact %(name)s restored.") % {"name": contact.name})
    return redirect("customers:contact_detail", pk=contact.pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = contact_for(request, pk)
    if not access.can_edit_contact(request.user, contact):
        raise PermissionDenied
    candidates = access.visible_contacts(request.user).filter(customer=contact.customer).exclude(pk=contact.pk)
    form = MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        # Merging deletes the duplicate, so it takes the right to delete it.
        if not access.can_delete_contact(request.user, duplicate):
            raise PermissionDenied
        services.contact_merge(keep=contact, duplicate=duplicate, by=request.user)
        messages.success(request, _("%(merged)s merged into %(kept)s; every touchpoint was kept.")
                         % {"merged": duplicate.name, "kept": contact.name})  # fmt: skip
        return redirect("customers:contact_detail", pk=contact.pk)
    return render(request, "customers/contact_merge.html", {"contact": contact, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
def contact_history(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = contact_for(request, pk)
    return history_page(request, contact, reverse("customers:contact_detail", args=[contact.pk]))


@login_required
@require_GET
def search(request: AuthedRequest) -> HttpResponse:
    """The global search box: a dropdown while typing (htmx), a results page otherwise."""
    text = request.GET.get("q", "").strip()[:100]
    results = selectors.search_everything(user=request.user, text=text)
    context = {"q": text, "results": results, "searchable": is_searchable(text)}
    return render(request, "customers/search.html#dropdown" if request.htmx else "customers/search.html", context)
