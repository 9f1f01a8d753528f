"""The recommendation page of an opportunity, and the one-click draft quote from its bundle."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from touchpoint.org.http import AuthedRequest
from touchpoint.sales import access
from touchpoint.sales.models import LicenceType, Module, Opportunity
from touchpoint.sales.services.quotes import quote_from_bundle, quote_url
from touchpoint.sales.services.recommendation import Recommendation, recommend


def _opportunity(request: AuthedRequest, pk: int) -> Opportunity:
    """The opportunity if the user may see it; 404 otherwise, whether or not it exists."""
    rows = access.visible_opportunities(request.user).select_related("customer", "stage", "owner")
    return get_object_or_404(rows, pk=pk)


def _context(request: AuthedRequest, opportunity: Opportunity, result: Recommendation, **extra: Any) -> dict[str, Any]:
    query = urlencode({"modules": ",".join(str(m.pk) for m in result.bundle_modules), "opportunity": str(opportunity.pk)})
    return {
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "result": result,
        "can_quote": access.can_create_quote(request.user, opportunity),
        "licence_types": LicenceType.choices,
        "pricing_url": f"{reverse('sales:price_history')}?{query}",
        **extra,
    }


@login_required
@require_GET
def recommendation_page(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk)
    result = recommend(opportunity=opportunity, user=request.user)
    return render(request, "sales/recommendation/page.html", _context(request, opportunity, result))


def _chosen_modules(request: AuthedRequest, result: Recommendation) -> list[Module]:
    """The bundle, or the modules ticked on the page among those it offered (bundle and also-bought)."""
    if not request.POST.get("choose"):
        return result.bundle_modules
    offered = {m.pk: m for m in [*result.bundle_modules, *(s.module for s in result.also_bought)]}
    raw = request.POST.getlist("modules")
    if any(not value.isdecimal() or int(value) not in offered for value in raw):
        raise ValidationError({"modules": _("Choose modules from the recommendation.")})
    wanted = {int(value) for value in raw}
    return [module for pk, module in offered.items() if pk in wanted]


@login_required
@require_POST
def recommendation_quote(request: AuthedRequest, pk: int) -> HttpResponse:
    """Build a draft quote from the bundle: licence lines, the custom effort as services, maintenance."""
    opportunity = _opportunity(request, pk)
    if not access.can_create_quote(request.user, opportunity):
        raise PermissionDenied
    result = recommend(opportunity=opportunity, user=request.user)
    licence_type = request.POST.get("licence_type") or LicenceType.PERPETUAL
    try:
        if licence_type not in LicenceType.values:
            raise ValidationError({"licence_type": _("Choose a licence type from the list.")})
        chosen = _chosen_modules(request, result)
        if not chosen:
            raise ValidationError({"modules": _("Choose at least one module for the quote.")})
        quote = quote_from_bundle(opportunity=opportunity, by=request.user, modules=chosen, licence_type=licence_type,
                                  service_days=result.service_days)  # fmt: skip
    except ValidationError as error:
        problems = [str(m) for m in error.messages]
        return render(request, "sales/recommendation/page.html",
                      _context(request, opportunity, result, quote_errors=problems), status=400)  # fmt: skip
    messages.success(request, _("Draft quote %(number)s built from the recommended bundle.") % {"number": quote.number})
    return redirect(quote_url(quote))
