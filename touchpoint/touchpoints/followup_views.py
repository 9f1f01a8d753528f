"""Follow-up pages: mine (due and overdue), detail, plan, edit, mark done, reassign, delete."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.history import history_page
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.views import customer_for
from touchpoint.org.access import visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.touchpoints import access, services
from touchpoint.touchpoints.forms import CompleteFollowUpForm, FollowUpCreateForm, FollowUpForm, ReassignFollowUpForm
from touchpoint.touchpoints.models import FollowUp, FollowUpStatus

VIEWS = ("due", "overdue", "upcoming", "done", "all")


def followup_for(request: AuthedRequest, pk: int) -> FollowUp:
    return get_object_or_404(
        access.visible_followups(request.user).select_related("customer", "assignee", "contact", "created_by"), pk=pk
    )


def _colleagues(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return visible_users(request.user).filter(is_active=True).order_by("username")


@login_required
@require_GET
def followup_list(request: AuthedRequest) -> HttpResponse:
    show = request.GET.get("show", "due")
    show = show if show in VIEWS else "due"
    whose = "team" if request.GET.get("whose") == "team" else "mine"
    followups = access.visible_followups(request.user).select_related("customer", "assignee")
    if whose == "mine":
        followups = followups.filter(assignee=request.user)
    today = timezone.localdate()
    followups = {
        "due": followups.filter(status=FollowUpStatus.OPEN, due_on__lte=today),
        "overdue": followups.filter(status=FollowUpStatus.OPEN, due_on__lt=today),
        "upcoming": followups.filter(status=FollowUpStatus.OPEN, due_on__gt=today),
        "done": followups.filter(status=FollowUpStatus.DONE).order_by("-done_at"),
        "all": followups,
    }[show]
    page = Paginator(followups.order_by("due_on", "id") if show != "done" else followups, 25).get_page(
        request.GET.get("page")
    )
    return render(request, "touchpoints/followup_list.html",
                  {"page": page, "show": show, "whose": whose, "today": today, "views": VIEWS})  # fmt: skip


@login_required
def followup_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    context = {
        "followup": followup,
        "can_edit": access.can_edit_followup(request.user, followup),
        "can_reassign": access.can_reassign_followup(request.user, followup),
        "can_delete": access.can_delete_followup(request.user, followup),
        "complete_form": CompleteFollowUpForm(),
        "reassign_form": ReassignFollowUpForm(users=_colleagues(request)),
    }
    return render(request, "touchpoints/followup_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def followup_create(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_for(request, customer_pk)
    if not access.can_create_followup(request.user, customer):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=customer)
    form = FollowUpCreateForm(request.POST or None, contacts=contacts, users=_colleagues(request),
                              initial={"assignee": request.user.pk})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.followup_create(by=request.user, customer=customer, assignee=data["assignee"],
                                     due_on=data["due_on"], subject=data["subject"], notes=data["notes"],
                                     contact=data["contact"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Follow-up planned."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "touchpoints/followup_form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def followup_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    if not access.can_edit_followup(request.user, followup):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=followup.customer)

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        services.followup_update(followup=fresh, by=request.user, expected_version=version, **values)

    return versioned_edit(request, form=FollowUpForm(request.POST or None, instance=followup, contacts=contacts),
                          record=followup, save=save, template="touchpoints/followup_form.html",
                          context={"customer": followup.customer, "followup": followup},
                          saved_message=_("Follow-up saved."),
                          success_url=reverse("touchpoints:followup_detail", args=[followup.pk]))  # fmt: skip


@login_required
@require_POST
def followup_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    if not access.can_edit_followup(request.user, followup):
        raise PermissionDenied
    form = CompleteFollowUpForm(request.POST)
    try:
        outcome = form.cleaned_data["outcome"] if form.is_valid() else ""
        services.followup_complete(followup=followup, by=request.user, outcome=outcome)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Follow-up marked done."))
    if request.htmx:
        return render(request, "touchpoints/panels/followup_row.html", {"followup": followup_for(request, pk)})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("touchpoints:followup_detail", args=[followup.pk])
    return redirect(next_url)


@login_required
@require_POST
def followup_reassign(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    if not access.can_reassign_followup(request.user, followup):
        raise PermissionDenied
    form = ReassignFollowUpForm(request.POST, users=_colleagues(request))
    if form.is_valid():
        try:
            services.followup_reassign(followup=followup, assignee=form.cleaned_data["assignee"], by=request.user,
                                       reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Follow-up handed to %(user)s.") % {"user": form.cleaned_data["assignee"]})
    else:
        messages.error(request, _("Choose who takes it over and say why."))
    return redirect("touchpoints:followup_detail", pk=followup.pk)


@login_required
@require_POST
def followup_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    if not access.can_delete_followup(request.user, followup):
        raise PermissionDenied
    services.followup_delete(followup=followup, by=request.user)
    messages.success(request, _("Follow-up moved to the recycle bin."))
    return redirect("touchpoints:followups")


@login_required
@require_POST
def followup_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = get_object_or_404(access.deleted_followups(request.user), pk=pk)
    services.followup_restore(followup=followup, by=request.user)
    messages.success(request, _("Follow-up restored."))
    return redirect("touchpoints:followup_detail", pk=followup.pk)


@login_required
def followup_history(request: AuthedRequest, pk: int) -> HttpResponse:
    followup = followup_for(request, pk)
    return history_page(request, followup, reverse("touchpoints:followup_detail", args=[followup.pk]))
