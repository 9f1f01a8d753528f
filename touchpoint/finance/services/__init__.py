"""Every write in finance, split by meaning: credit, invoices, receipts, dunning."""
