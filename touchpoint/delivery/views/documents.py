"""Project documents: the list with versions, uploads, new versions and downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.delivery import access
from touchpoint.delivery.forms import DocumentForm, VersionForm
from touchpoint.delivery.models import DocumentVersion, MilestoneStatus, ProjectDocument
from touchpoint.delivery.services.documents import document_upload
from touchpoint.delivery.views.common import editable_project, form_errors, project_for, say_refused
from touchpoint.org.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def document_list(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    open_milestones = project.milestones.filter(status=MilestoneStatus.OPEN).order_by("due_on")
    initial = {"kind": request.GET.get("kind", ""), "milestone": request.GET.get("milestone")}
    form = DocumentForm(request.POST or None, request.FILES or None, milestones=open_milestones, initial=initial) if can_edit else None
    if request.method == "POST":
        project = editable_project(request, pk)
        assert form is not None
        if form.is_valid():
            values = form.cleaned_data
            try:
                document_upload(project=project, by=request.user, upload=values["file"], kind=values["kind"], title=values["title"],
                                milestone=values["milestone"], note=values["note"],
                                shared_with_customer=values["shared_with_customer"])  # fmt: skip
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Document uploaded."))
                return redirect("delivery:documents", pk=project.pk)
    documents = list(project.documents.select_related("milestone").prefetch_related("versions__uploaded_by").order_by("kind", "title"))
    return render(request, "delivery/documents.html", {
        "project": project, "tab": "documents", "documents": documents, "form": form, "can_edit": can_edit,
        "version_form": VersionForm() if can_edit else None,
    }, status=400 if form is not None and form.errors else 200)  # fmt: skip


@login_required
@require_POST
def document_version(request: AuthedRequest, pk: int, document_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    document = get_object_or_404(ProjectDocument, project=project, pk=document_pk)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            document_upload(project=project, by=request.user, upload=form.cleaned_data["file"], document=document,
                            note=form.cleaned_data["note"])  # fmt: skip
        except ValidationError as error:
            say_refused(request, error)
        else:
            messages.success(request, _("New version of “%(title)s” uploaded.") % {"title": document.title})
    return redirect("delivery:documents", pk=project.pk)


@login_required
@require_GET
def document_download(request: AuthedRequest, pk: int, version_pk: int) -> FileResponse:
    project = project_for(request, pk)
    version = get_object_or_404(DocumentVersion.objects.select_related("document"), document__project=project, pk=version_pk)
    response = FileResponse(version.file.open("rb"), as_attachment=True, filename=version.original_name,
                            content_type=version.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
