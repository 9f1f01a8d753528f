"""The customer-facing site: its own URL space, login and customer users."""
