"""Pages of the shared kernel: the recycle bin across every app that registers a section."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from touchpoint.core.extensions import recycle_sections


@login_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    sections = [
        {"section": section, "rows": list(section.deleted(request.user).select_related("deleted_by").order_by("-deleted_at")[:100])}
        for section in sorted(recycle_sections.values(), key=lambda s: s.order)
    ]
    return render(request, "core/recycle_bin.html", {"sections": sections})
