# Amounts in Chinese read with a comma every three digits (1,234,567.80), as contracts and invoices print them;
# Django's own zh-Hans formats leave the grouping out.
THOUSAND_SEPARATOR = ","
DECIMAL_SEPARATOR = "."
NUMBER_GROUPING = 3
