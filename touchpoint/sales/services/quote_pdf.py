"""The quote as a PDF in Chinese, on the configured letterhead (WeasyPrint, a CJK font)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from touchpoint.sales.models import Quote


def letterhead() -> dict[str, Any]:
    logo = Path(settings.COMPANY_LOGO) if settings.COMPANY_LOGO else None
    return {
        "name": settings.COMPANY_NAME, "address": settings.COMPANY_ADDRESS, "phone": settings.COMPANY_PHONE,
        "website": settings.COMPANY_WEBSITE, "logo": logo.as_uri() if logo and logo.is_file() else "",
    }  # fmt: skip


def quote_pdf(quote: Quote) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango and fonts, which only PDF work needs

    lines = list(quote.lines.select_related("module").order_by("order", "id"))
    with translation.override("zh-hans"):
        html = render_to_string("sales/quotes/pdf.html", {"quote": quote, "lines": lines, "company": letterhead()})
    # Only local files (the logo) may be fetched while rendering; nothing goes over the network.
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=local_only).write_pdf())


def local_only(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    if not url.startswith("file://"):
        raise ValueError("remote resources are not fetched")
    from weasyprint.urls import default_url_fetcher

    return dict(default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context))
