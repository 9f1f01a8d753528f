# Amounts in Chinese read with a comma every three digits (1,234,567.80), as contracts and invoices print them;
# Django's own zh-Hans formats leave the grouping out.
THOUSAND_SEPARATOR = ","
DECIMAL_SEPARATOR = "."
NUMBER_GROUPING = 3

# Date inputs are <input type="date">, which accepts only ISO dates: the first input format is also
# the one a form renders its value in, so ISO comes first (typed 2026/12/02 and 2026年12月2日 still parse).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
]
