"""The finance app's models, split by meaning: credit, billing (invoices, receipts, allocations), dunning."""

from touchpoint.finance.models.billing import (
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Receipt,
    ReceiptMethod,
    ReceiptStatus,
    VatType,
)
from touchpoint.finance.models.credit import CreditOverride, CreditPolicy, CreditProfile, DunningLanguage, Rating
from touchpoint.finance.models.dunning import DunningItem, DunningLetter, DunningLevel, LetterStatus

__all__ = [
    "Allocation", "CreditOverride", "CreditPolicy", "CreditProfile", "DunningItem", "DunningLanguage", "DunningLetter",
    "DunningLevel", "Invoice", "InvoiceKind", "InvoiceStatus", "LetterStatus", "Rating", "Receipt", "ReceiptMethod",
    "ReceiptStatus", "VatType",
]  # fmt: skip
