"""Staff pages of the portal: announcements to customers (maintenance leads, marketing) and a
customer's portal users with invitations (the account owner, the maintenance centre)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.http import AuthedRequest
from touchpoint.portal.access import can_invite_to, may_announce, visible_accounts
from touchpoint.portal.forms import AnnouncementForm, StaffInviteForm
from touchpoint.portal.models import Announcement, Audience, PortalInvitation
from touchpoint.portal.services import announcement_save, portal_deactivate, portal_invite

PAGE_SIZE = 25


def _announcer(request: AuthedRequest) -> None:
    if not may_announce(request.user):
        raise PermissionDenied


@login_required
@require_GET
def announcements(request: AuthedRequest) -> HttpResponse:
    _announcer(request)
    page = Paginator(Announcement.objects.order_by("-published_from", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/announcements.html", {"page": page, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def announcement_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _announcer(request)
    announcement = get_object_or_404(Announcement, pk=pk) if pk else None
    initial = {"audience": Audience.ALL, "published_from": timezone.localtime().replace(second=0, microsecond=0)}
    if announcement is not None:
        initial = {"title": announcement.title, "body": announcement.body, "audience": announcement.audience,
                   "customers": list(announcement.customers.all()), "published_to": announcement.published_to,
                   "published_from": announcement.published_from}  # fmt: skip
    form = AnnouncementForm(request.POST or None, initial=initial, customers=visible_customers(request.user).order_by("name"))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            saved = announcement_save(by=request.user, announcement=announcement, title=values["title"], body=values["body"],
                                      audience=values["audience"], customers=list(values["customers"]),
                                      published_from=values["published_from"], published_to=values["published_to"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Announcement “%(title)s” saved.") % {"title": saved.title})
            return redirect("portal:staff_announcements")
    return render(request, "portal/staff/announcement_form.html", {"form": form, "announcement": announcement},
                  status=400 if form.errors else 200)  # fmt: skip


def _customer_for(request: AuthedRequest, pk: int) -> Customer:
    customer = visible_customers(request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    if not can_invite_to(request.user, customer):
        raise PermissionDenied
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def customer_users(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _customer_for(request, pk)
    contacts = Contact.objects.filter(customer=customer).order_by("name")
    form = StaffInviteForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            portal_invite(by=request.user, customer=customer, email=values["email"], contact=values["contact"],
                          is_admin=values["is_admin"], site_url=request.build_absolute_uri("/"))  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The invitation is on its way to %(email)s.") % {"email": values["email"]})
            return redirect("portal:staff_customer_users", pk=customer.pk)
    pending = [i for i in PortalInvitation.objects.filter(customer=customer, accepted_at__isnull=True).order_by("-created_at")[:50]
               if i.is_pending]  # fmt: skip
    return render(request, "portal/staff/customer_users.html", {
        "customer": customer, "form": form, "accounts": list(visible_accounts(request.user, customer)), "pending": pending,
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def customer_user_deactivate(request: AuthedRequest, pk: int, account_pk: int) -> HttpResponse:
    customer = _customer_for(request, pk)
    account = get_object_or_404(visible_accounts(request.user, customer), pk=account_pk)
    try:
        portal_deactivate(account=account, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(user)s can no longer sign in to the portal.") % {"user": account.user})
    return redirect("portal:staff_customer_users", pk=customer.pk)
