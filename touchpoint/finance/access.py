"""Who may see and do what in finance: invoices, receipts, credit.

Finance has everything. A sales rep reads the receivables and credit of the customers they serve
(own them or sit on their account team, or sold the contract an invoice is for); a sales manager
reads those of the department; executives read everything. Delivery, maintenance and marketing
see none of it. 'Team' and 'department' follow the customer's owner.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import account_customer_ids
from touchpoint.finance.models import CreditProfile, DunningLetter, Invoice, Receipt
from touchpoint.org.policy import Rules, S, may, register_entity, row

FULL = row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL)
READ_ALL = row(view=S.ALL, export=S.ALL)

for _key, _label in (("invoice", _("Invoices")), ("receipt", _("Receipts"))):
    register_entity(
        _key,
        label=_label,
        defaults={
            "sales_rep": row(view=S.OWN),
            "sales_manager": row(view=S.DEPARTMENT, export=S.DEPARTMENT),
            "finance": FULL,
            "executive": READ_ALL,
            "admin": FULL,
        },
        # Invoices and receipts are corrected by credit notes and reversals, never deleted.
        actions=("view", "create", "edit", "export"),
    )
register_entity(
    "credit",
    label=_("Credit"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT),
        "finance": row(view=S.ALL, edit=S.ALL),
        "executive": row(view=S.ALL),
        "admin": row(view=S.ALL, edit=S.ALL),
    },
    # edit: set limits and terms, override a rating or a credit block, hold, pause dunning.
    actions=("view", "edit"),
)


def _serves(user: Any) -> Q:
    return Q(customer__owner_id=user.pk) | Q(customer_id__in=account_customer_ids(user))


def _own_invoice(user: Any) -> Q:
    return _serves(user) | Q(owner_id=user.pk)


INVOICE = Rules("invoice", owner_path="customer__owner", own=_own_invoice)
RECEIPT = Rules("receipt", owner_path="customer__owner", own=_serves)
CREDIT = Rules("credit", owner_path="customer__owner", own=_serves)
# The customer itself, judged by a finance entity's scope ("may this user read this customer's receivables?").
_CUSTOMER_OWNER = "owner"


def _serves_customer(user: Any) -> Q:
    return Q(owner_id=user.pk) | Q(pk__in=account_customer_ids(user))


def visible_invoices(user: Any) -> QuerySet[Invoice]:
    return INVOICE.scoped(user, "view", Invoice.objects.all())


def exportable_invoices(user: Any) -> QuerySet[Invoice]:
    return INVOICE.scoped(user, "export", Invoice.objects.all())


def can_view_invoice(user: Any, invoice: Invoice) -> bool:
    return INVOICE.allows(user, invoice, "view")


def can_edit_invoice(user: Any, invoice: Invoice) -> bool:
    return INVOICE.allows(user, invoice, "edit")


def may_issue_invoices(user: Any) -> bool:
    return may(user, "invoice", "create")


def can_issue_invoice(user: Any, contract: Any) -> bool:
    """Invoice this contract: the invoice create scope must cover it (its customer, or the rep who sold it)."""
    return INVOICE.allows_on(user, contract, "create", owner_path="customer__owner", own=_own_invoice)


def visible_receipts(user: Any) -> QuerySet[Receipt]:
    return RECEIPT.scoped(user, "view", Receipt.objects.all())


def exportable_receipts(user: Any) -> QuerySet[Receipt]:
    return RECEIPT.scoped(user, "export", Receipt.objects.all())


def can_view_receipt(user: Any, receipt: Receipt) -> bool:
    return RECEIPT.allows(user, receipt, "view")


def can_edit_receipt(user: Any, receipt: Receipt) -> bool:
    return RECEIPT.allows(user, receipt, "edit")


def may_record_receipts(user: Any) -> bool:
    return may(user, "receipt", "create")


def can_record_receipt(user: Any, customer: Any) -> bool:
    """Record money from this customer: the receipt create scope must cover the customer."""
    return RECEIPT.allows_on(user, customer, "create", owner_path=_CUSTOMER_OWNER, own=_serves_customer)


def visible_credit_profiles(user: Any) -> QuerySet[CreditProfile]:
    return CREDIT.scoped(user, "view", CreditProfile.objects.all())


def can_view_credit(user: Any, customer: Any) -> bool:
    """Whether the user may read this customer's credit (limit, rating, risk, exposure)."""
    return CREDIT.allows_on(user, customer, "view", owner_path=_CUSTOMER_OWNER, own=_serves_customer)


def can_edit_credit(user: Any, customer: Any) -> bool:
    return CREDIT.allows_on(user, customer, "edit", owner_path=_CUSTOMER_OWNER, own=_serves_customer)


def can_view_receivables(user: Any, customer: Any) -> bool:
    """Whether the user may read this customer's invoices (the 360's receivables panel)."""
    return INVOICE.allows_on(user, customer, "view", owner_path=_CUSTOMER_OWNER, own=_serves_customer)


def may_edit_credit(user: Any) -> bool:
    return may(user, "credit", "edit")


# Reminder letters are read by whoever may read the customer's invoices.
LETTERS = Rules("invoice", owner_path="customer__owner", own=_serves)


def visible_letters(user: Any) -> QuerySet[DunningLetter]:
    return LETTERS.scoped(user, "view", DunningLetter.objects.all())
