"""What the finance pages share: fetching records through the access layer, and the 400 re-render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.finance import access
from touchpoint.finance.models import Invoice, Receipt
from touchpoint.org.http import AuthedRequest

PAGE_SIZE = 25


def invoice_for(request: AuthedRequest, pk: int) -> Invoice:
    """The invoice if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_invoices(request.user).select_related("customer", "contract", "milestone", "owner")
    return get_object_or_404(queryset, pk=pk)


def receipt_for(request: AuthedRequest, pk: int) -> Receipt:
    return get_object_or_404(access.visible_receipts(request.user).select_related("customer"), pk=pk)


def customer_for(request: AuthedRequest, pk: int) -> Customer:
    """A customer whose receivables or credit the user may read; 404 otherwise."""
    customer = get_object_or_404(visible_customers(request.user), pk=pk)
    if not (access.can_view_receivables(request.user, customer) or access.can_view_credit(request.user, customer)):
        raise Http404
    return customer


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def refused(request: AuthedRequest, error: ValidationError, render_page: Any) -> HttpResponse:
    """A service said no: show why at the top, re-render the page with a 400."""
    messages.error(request, " ".join(error.messages))
    response: HttpResponse = render_page()
    response.status_code = 400
    return response
