"""The customer user's own profile, and a customer admin's colleagues: who has access, invitations,
ending someone's access."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.org.models import User
from touchpoint.portal.access import can_invite_to, visible_accounts
from touchpoint.portal.forms import InviteForm
from touchpoint.portal.models import PortalInvitation
from touchpoint.portal.services import portal_deactivate, portal_invite
from touchpoint.portal.views.common import PortalRequest, not_found, portal_required, say_refused


class ProfileForm(StyledForm):
    full_name = forms.CharField(label=gettext_lazy("Your name"), max_length=60)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), required=False,
        choices=[("", gettext_lazy("Follow the browser")), ("zh-hans", "简体中文"), ("en", "English")],
    )  # fmt: skip


@portal_required
@require_http_methods(["GET", "POST"])
def profile(request: PortalRequest) -> HttpResponse:
    from allauth.mfa.utils import is_mfa_enabled

    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        User.objects.filter(pk=user.pk).update(full_name=form.cleaned_data["full_name"], language=form.cleaned_data["language"])
        messages.success(request, _("Your profile is saved."))
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"nav": "profile", "form": form, "mfa_enabled": is_mfa_enabled(user)})


@portal_required
@require_http_methods(["GET", "POST"])
def colleagues(request: PortalRequest) -> HttpResponse:
    customer = request.portal.customer
    if not can_invite_to(request.user, customer):
        raise not_found()
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            portal_invite(by=request.user, customer=customer, email=form.cleaned_data["email"],
                          is_admin=form.cleaned_data["is_admin"], site_url=request.build_absolute_uri("/"))  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The invitation is on its way to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("portal:colleagues")
    accounts = list(visible_accounts(request.user, customer))
    pending = list(PortalInvitation.objects.filter(customer=customer, accepted_at__isnull=True).order_by("-created_at")[:50])
    return render(request, "portal/colleagues.html", {"nav": "colleagues", "form": form, "accounts": accounts,
                                                      "pending": [i for i in pending if i.is_pending]},
                  status=400 if form.errors else 200)  # fmt: skip


@portal_required
@require_POST
def colleague_deactivate(request: PortalRequest, pk: str) -> HttpResponse:
    account = visible_accounts(request.user, request.portal.customer).filter(pk=int(pk) if pk.isdigit() else 0).first()
    if account is None:
        raise not_found()
    try:
        portal_deactivate(account=account, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
    else:
        messages.success(request, _("%(user)s can no longer sign in to the portal.") % {"user": account.user})
    return redirect("portal:colleagues")


# --- Two-factor sign-in (optional): allauth's own views with the portal's pages ----------------------


def _mfa_views():  # type: ignore[no-untyped-def]
    from allauth.mfa.totp.views import ActivateTOTPView, DeactivateTOTPView
    from django.urls import reverse

    class PortalActivateTOTP(ActivateTOTPView):
        template_name = "portal/mfa_activate.html"

        def get_success_url(self) -> str:
            return reverse("portal:profile")

    class PortalDeactivateTOTP(DeactivateTOTPView):
        template_name = "portal/mfa_deactivate.html"

        def get_success_url(self) -> str:
            return reverse("portal:profile")

    return PortalActivateTOTP.as_view(), PortalDeactivateTOTP.as_view()


_activate, _deactivate = _mfa_views()


@portal_required
def mfa_activate(request: PortalRequest) -> HttpResponse:
    from allauth.mfa.utils import is_mfa_enabled

    if is_mfa_enabled(request.user):
        return redirect("portal:mfa_deactivate")
    return _activate(request)


@portal_required
def mfa_deactivate(request: PortalRequest) -> HttpResponse:
    from allauth.mfa.utils import is_mfa_enabled

    if not is_mfa_enabled(request.user):
        return redirect("portal:mfa_activate")
    return _deactivate(request)
