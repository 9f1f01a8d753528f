"""The acceptance certificate of a milestone as a PDF in Chinese, for the customer to sign."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from touchpoint.delivery.models import Milestone
from touchpoint.sales.services.quote_pdf import letterhead, local_only


def acceptance_certificate_pdf(milestone: Milestone) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango and fonts, which only PDF work needs

    project = milestone.project
    context = {
        "milestone": milestone, "project": project, "customer": project.customer, "contract": project.contract,
        "phase": milestone.phase, "company": letterhead(), "today": timezone.localdate(),
        "tasks": list(project.tasks.filter(phase=milestone.phase).order_by("start_on", "order")) if milestone.phase_id else [],
        "signer": project.customer_contacts.filter(role="acceptance").select_related("contact").first(),
    }  # fmt: skip
    with translation.override("zh-hans"):
        html = render_to_string("delivery/certificate_pdf.html", context)
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=local_only).write_pdf())
