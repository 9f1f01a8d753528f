"""Finance pages, split by meaning: invoices, receipts, credit, reports, settings."""
