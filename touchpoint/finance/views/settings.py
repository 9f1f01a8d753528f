"""Finance settings: the credit policy and the dunning ladder with its zh/en templates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from touchpoint.finance.access import may_edit_credit
from touchpoint.finance.forms import CreditPolicyForm, DunningLevelForm
from touchpoint.finance.models import CreditPolicy, DunningLevel
from touchpoint.finance.services.settings import credit_policy_save, dunning_level_save
from touchpoint.finance.views.common import require
from touchpoint.org.http import AuthedRequest

PLACEHOLDERS = ["{customer}", "{contact}", "{invoices}", "{total}", "{currency}", "{count}", "{today}", "{company}"]


@login_required
@require_http_methods(["GET", "POST"])
def credit_policy(request: AuthedRequest) -> HttpResponse:
    require(may_edit_credit(request.user))
    policy = CreditPolicy.current()
    form = CreditPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        credit_policy_save(form=form, by=request.user)
        messages.success(request, _("Credit policy saved."))
        return redirect("finance:settings_policy")
    return render(request, "finance/settings_policy.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET"])
def dunning_levels(request: AuthedRequest) -> HttpResponse:
    require(may_edit_credit(request.user))
    return render(request, "finance/settings_dunning.html", {"levels": DunningLevel.objects.order_by("days")})


@login_required
@require_http_methods(["GET", "POST"])
def dunning_level_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    require(may_edit_credit(request.user))
    level = get_object_or_404(DunningLevel, pk=pk) if pk else None
    form = DunningLevelForm(request.POST or None, instance=level)
    if request.method == "POST" and form.is_valid():
        dunning_level_save(form=form, by=request.user)
        messages.success(request, _("Dunning level saved."))
        return redirect("finance:settings_dunning")
    return render(request, "finance/settings_dunning_level.html", {"form": form, "level": level, "placeholders": PLACEHOLDERS},
                  status=400 if form.errors else 200)  # fmt: skip
