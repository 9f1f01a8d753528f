"""Signing in to the portal, resetting a password and accepting an invitation.

The sign-in is allauth's own view (rate limits, axes lockout and MFA stages included) with the
portal's template; the password reset is Django's, limited to customer users."""

from allauth.account.views import LoginView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.portal.forms import AcceptForm, PortalPasswordResetForm
from touchpoint.portal.services import invitation_for, portal_accept_invitation


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    success_url = reverse_lazy("portal:home")

    def get_form(self, form_class=None):  # type: ignore[no-untyped-def]
        form = super().get_form(form_class)
        # allauth's help text links to the staff password reset; the portal page has its own link.
        form.fields["password"].help_text = ""
        for field in form.fields.values():
            field.widget.attrs["class"] = "form-check-input" if field.widget.input_type == "checkbox" else "form-control"
        return form


login = PortalLoginView.as_view()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


password_reset = auth_views.PasswordResetView.as_view(
    form_class=PortalPasswordResetForm,
    template_name="portal/password_reset.html",
    email_template_name="portal/email/password_reset.txt",
    subject_template_name="portal/email/password_reset_subject.txt",
    success_url=reverse_lazy("portal:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/password_reset_confirm.html", success_url=reverse_lazy("portal:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(template_name="portal/password_reset_complete.html")


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password from an invitation link; a used, expired or forged link says which it is."""
    try:
        invitation = invitation_for(token)
    except ValidationError as error:
        return render(request, "portal/accept.html", {"problem": error.messages[0]}, status=400)
    form = AcceptForm(request.POST or None, initial={"full_name": invitation.contact.name if invitation.contact else ""})
    if request.method == "POST" and form.is_valid():
        try:
            portal_accept_invitation(token=token, password=form.cleaned_data["password"], full_name=form.cleaned_data["full_name"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if request.user.is_authenticated:
                logout(request)
            messages.success(request, _("Your account is ready. Sign in with your email address and the new password."))
            return redirect("portal:login")
    return render(request, "portal/accept.html", {"form": form, "invitation": invitation},
                  status=400 if form.errors else 200)  # fmt: skip
