"""Finance reports as PDF (WeasyPrint with the CJK font), in the reader's language."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone


def report_pdf(title: str, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    from weasyprint import HTML  # loaded on demand: only PDF work needs Pango and the fonts

    from touchpoint.sales.services.quote_pdf import letterhead, local_only

    cells = [[(f"{value:,.2f}" if isinstance(value, Decimal) else value) for value in row] for row in rows]
    html = render_to_string("finance/report_pdf.html", {
        "title": title, "header": header, "rows": cells, "company": letterhead(), "printed": timezone.localtime(),
    })  # fmt: skip
    from django.conf import settings

    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=local_only).write_pdf())


def report_pdf_response(stem: str, title: str, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(report_pdf(title, header, rows), content_type="application/pdf")
    stamp: datetime = timezone.localtime()
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp:%Y%m%d-%H%M}.pdf"'
    return response
