"""The support mailbox as operators see it: how far each mailbox was read, every fetched mail with
what became of it, its kept original, and a retry for a mail that failed."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from touchpoint.core.forms import StyledForm
from touchpoint.core.pagination import CappedPaginator
from touchpoint.org.http import AuthedRequest
from touchpoint.service import access, selectors
from touchpoint.service.models import InboundMail, MailOutcome
from touchpoint.service.services.inbound import mail_retry
from touchpoint.service.views.common import require

PAGE_SIZE = 25
LIST = "service/mail/list.html"
EARLIEST, LATEST = selectors.MAIL_EARLIEST_DAY, selectors.MAIL_LATEST_DAY
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MailFilterForm(StyledForm):
    group = forms.ChoiceField(
        label=gettext_lazy("Outcome"), required=False,
        choices=[("", gettext_lazy("All")), ("taken", gettext_lazy("Taken in")), ("ignored", gettext_lazy("Ignored")),
                 ("problems", gettext_lazy("Problems"))],
    )  # fmt: skip
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Sender, subject or <Message-ID>")}))  # fmt: skip
    since = forms.DateField(label=gettext_lazy("Received from"), required=False, widget=DATE)
    until = forms.DateField(label=gettext_lazy("Received until"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("since", "until"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("Enter a date between %(first)s and %(last)s.") % {"first": EARLIEST, "last": LATEST})
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until and not self.has_error("since") and not self.has_error("until"):
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def query(self) -> selectors.MailQuery:
        data = self.cleaned_data if self.is_bound else {}
        return selectors.MailQuery(group=data.get("group") or "", q=data.get("q") or "", since=data.get("since"),
                                   until=data.get("until"))  # fmt: skip


@login_required
@require_GET
def mailbox(request: AuthedRequest) -> HttpResponse:
    require(access.may_view_mailbox(request.user))
    form = MailFilterForm(request.GET or None)
    template = f"{LIST}#results" if request.htmx else LIST
    context: dict[str, Any] = {"form": form, "page": None, "may_retry": access.may_retry_mail(request.user)}
    if form.is_bound and not form.is_valid():
        return render(request, template, {**context, "overview": None if request.htmx else selectors.mailbox_overview()}, status=400)
    rows = selectors.inbound_mail_list(user=request.user, query=form.query())
    page = CappedPaginator(rows, PAGE_SIZE, page=request.GET.get("page", 1)).get_page(request.GET.get("page"))
    if not request.htmx:
        context["overview"] = selectors.mailbox_overview()
        context["recent_since"] = timezone.localdate() - timedelta(days=selectors.MAIL_RECENT_DAYS)
    return render(request, template, {**context, "page": page})


def _mail_for(request: AuthedRequest, pk: int) -> InboundMail:
    """The mail if the user may see the mailbox; 404 otherwise, whether or not it exists."""
    return get_object_or_404(access.visible_inbound_mails(request.user), pk=pk)


@login_required
@require_GET
def mail_original(request: AuthedRequest, pk: int) -> FileResponse:
    """The kept original as an .eml download: never shown inline, whatever it contains."""
    require(access.may_view_mailbox(request.user))
    mail = _mail_for(request, pk)
    if not mail.raw:
        raise Http404
    try:
        original = mail.raw.open("rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(original, as_attachment=True, filename=f"mail-{mail.pk}.eml", content_type="message/rfc822")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _back(request: AuthedRequest) -> HttpResponseRedirect:
    """To the mailbox page the user came from (its filters and page), never elsewhere."""
    home = reverse("service:mailbox")
    wanted = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}) and wanted.startswith(home)
    return HttpResponseRedirect(wanted if safe else home)


@login_required
@require_POST
def mail_retry_view(request: AuthedRequest, pk: int) -> HttpResponse:
    require(access.may_retry_mail(request.user))
    mail = _mail_for(request, pk)
    try:
        result = mail_retry(mail=mail, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    taken = result.mail
    if taken.outcome == MailOutcome.FAILED:
        messages.error(request, _("The mail failed again: %(reason)s") % {"reason": taken.reason})
    else:
        messages.success(request, _("The mail was taken in: %(outcome)s. %(reason)s")
                         % {"outcome": taken.get_outcome_display(), "reason": taken.reason})  # fmt: skip
    return _back(request)


urlpatterns: list[URLPattern] = [
    path("mail/", mailbox, name="mailbox"),
    path("mail/<int:pk>/original/", mail_original, name="mail_original"),
    path("mail/<int:pk>/retry/", mail_retry_view, name="mail_retry"),
]
