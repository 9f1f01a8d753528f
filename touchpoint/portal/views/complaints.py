"""The customer's complaints: file one and follow it to the end, and confirm it is settled."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.portal import selectors
from touchpoint.portal.access import customer_ids
from touchpoint.portal.services import portal_touch
from touchpoint.portal.views.common import PortalRequest, not_found, portal_required, say_refused
from touchpoint.service.models import Complaint, ComplaintAbout, ComplaintStatus


class ComplaintForm(StyledForm):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    about = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=ComplaintAbout.choices)
    request: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Related request"), queryset=None, required=False,  # type: ignore[arg-type]
        empty_label=gettext_lazy("None"),
    )  # fmt: skip
    description = forms.CharField(label=gettext_lazy("Description"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: object, requests: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["request"].queryset = requests  # type: ignore[attr-defined]


def _complaints(request: PortalRequest):  # type: ignore[no-untyped-def]
    return Complaint.objects.filter(customer_id__in=customer_ids(request.user)).order_by("-created_at", "-id")


def _complaint_for(request: PortalRequest, pk: str) -> Complaint:
    found = _complaints(request).filter(pk=int(pk) if pk.isdigit() else 0).first()
    if found is None:
        raise not_found()
    return found


@portal_required
@require_GET
def complaint_list(request: PortalRequest) -> HttpResponse:
    return render(request, "portal/complaints.html", {"nav": "complaints", "complaints": list(_complaints(request)[:100])})


@portal_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: PortalRequest) -> HttpResponse:
    from touchpoint.service.services.complaints import complaint_create

    form = ComplaintForm(request.POST or None, requests=selectors.portal_requests(request.user),
                         initial={"request": request.GET.get("request")})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        values, account = form.cleaned_data, request.portal
        customer = values["request"].customer if values["request"] else account.customer
        try:
            touch = portal_touch(by=request.user, subject=_("Complaint: %(subject)s") % {"subject": values["subject"]},
                                 notes=values["description"])  # fmt: skip
            complaint = complaint_create(
                by=request.user, subject=values["subject"], description=values["description"], about=values["about"],
                customer=customer, request=values["request"], touchpoints=[touch] if touch.customer_id == customer.pk else [],
                contact=account.contact if account.contact and account.contact.customer_id == customer.pk else None,
                owner=customer.service_owner or customer.owner,
            )  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Complaint %(number)s is filed. We will keep you informed.") % {"number": complaint.number})
            return redirect("portal:complaint", pk=complaint.pk)
    return render(request, "portal/complaint_new.html", {"nav": "complaints", "form": form}, status=400 if form.errors else 200)


@portal_required
@require_GET
def complaint_detail(request: PortalRequest, pk: str) -> HttpResponse:
    complaint = _complaint_for(request, pk)
    can_confirm = complaint.status != ComplaintStatus.CLOSED and complaint.customer_informed
    return render(request, "portal/complaint.html", {"nav": "complaints", "complaint": complaint, "can_confirm": can_confirm})


@portal_required
@require_POST
def complaint_confirm(request: PortalRequest, pk: str) -> HttpResponse:
    from touchpoint.service.services.complaints import complaint_confirm_close

    complaint = _complaint_for(request, pk)
    try:
        complaint_confirm_close(complaint=complaint, by=request.user, confirmed_by=str(request.user),
                                confirmed_at=timezone.now(), note=_("Confirmed in the customer portal"))  # fmt: skip
    except ValidationError as error:
        say_refused(request, error)
    else:
        portal_touch(by=request.user, subject=_("%(number)s: settled, confirmed") % {"number": complaint.number})
        messages.success(request, _("Thank you: the complaint is closed."))
    return redirect("portal:complaint", pk=complaint.pk)
