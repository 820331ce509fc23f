"""Web imports and exports (docs/development.md, "Excel imports and exports"): upload →
preview (counts, and per row new, changed with old → new, unchanged or invalid with its errors;
nothing written) → confirm (all or nothing, or only the valid rows) → result.

Who may import or export a kind is the kind's business (``ImportKind.import_permissions`` and
``export_permission``): staff every kind, township offices what their permissions allow and only
their township (the kind forces it), leaders nothing (403). A job is its uploader's alone: anyone
else gets 404.
"""

import tempfile
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import jobs as background
from .excel import XLSX_CONTENT_TYPE, content_disposition
from .forms import PortalForm
from .importing import (
    ImportKind,
    error_workbook,
    export_workbook,
    get_kind,
)
from .models import ImportJob, ImportPreviewRow
from .pagination import paginate
from .ratelimit import client_address
from .uploads import check_xlsx_upload

ERRORS_SHOWN = 200


def kind_permission_required(action: str):
    """The view's permission, declared by the kind named in the URL (``action`` is ``import``
    or ``export``): an unknown kind is 404, a user without the kind's permission 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, kind, *args, **kwargs):
            import_kind = get_kind(kind)
            if import_kind is None:
                raise Http404
            allowed = (
                import_kind.can_import(request.user)
                if action == "import"
                else import_kind.can_export(request.user)
            )
            if not allowed:
                raise PermissionDenied
            return view(request, import_kind, *args, **kwargs)

        return wrapped

    return decorator


def get_job_for(request, kind: ImportKind, pk: int) -> ImportJob:
    """The user's own job of this kind; 404 for anyone else's."""
    return get_object_or_404(ImportJob.objects.owned_by(request.user), pk=pk, kind=kind.name)


class UploadForm(PortalForm):
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        check_xlsx_upload(uploaded)  # by content, size, zip bomb, macros (SECURITY.md item 15)
        return uploaded


class ApplyForm(PortalForm):
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Save the valid rows and skip the invalid ones"), required=False
    )


@kind_permission_required("import")
@require_http_methods(["GET", "POST"])
def start(request, kind):
    """The upload form and the user's earlier imports of this kind."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # A large file is checked by a task (issue 7); the job page shows its progress.
        job = background.import_job_upload(
            user=request.user,
            kind=kind,
            uploaded_file=form.cleaned_data["file"],
            remote_addr=client_address(request),
        )
        if job.state == ImportJob.State.FAILED:
            messages.error(request, job.message)
        elif job.state == ImportJob.State.UPLOADED:
            background.message_queued(request, job)
        return redirect("imports:job", kind=kind.name, pk=job.pk)
    jobs = ImportJob.objects.owned_by(request.user).filter(kind=kind.name)
    return render(
        request,
        "imports/start.html",
        {
            "kind": kind,
            "form": form,
            "page": paginate(request, jobs),
            "can_export": kind.can_export(request.user),
        },
    )


@kind_permission_required("import")
@require_GET
def job(request, kind, pk):
    """The preview before confirming, or the result afterwards."""
    import_job = get_job_for(request, kind, pk)
    errors = import_job.errors
    # What each row will do, stored by the preview; ?state= shows one kind of row.
    states = ImportPreviewRow.State
    state = request.GET.get("state", "")
    rows = import_job.preview_rows.all()
    if state in states.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    counts = import_job.counts or {}
    by_state = {
        states.NEW: counts.get("new", 0),
        states.CHANGED: counts.get("updated", 0),
        states.UNCHANGED: counts.get("unchanged", 0),
        states.INVALID: counts.get("invalid", 0),
    }
    page = paginate(request, rows, per_page=50)
    return render(
        request,
        "imports/job.html",
        {
            "kind": kind,
            "job": import_job,
            "page": page,
            "state": state,
            "states": [(s, s.label, by_state[s]) for s in states],
            "has_preview": page.paginator.count > 0 or state != "",
            "errors": errors[:ERRORS_SHOWN],
            "errors_more": max(len(errors) - ERRORS_SHOWN, 0),
            "form": ApplyForm(),
            "progress": {"done": import_job.rows_done, "total": import_job.rows_total},
        },
    )


@kind_permission_required("import")
@require_POST
def apply(request, kind, pk):
    import_job = get_job_for(request, kind, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    import_job = background.import_job_apply(
        job=import_job,
        skip_invalid=form.cleaned_data.get("skip_invalid", False),
        remote_addr=client_address(request),
    )
    if not import_job.confirmed:
        # A second click, or a second tab: the job's page shows what became of the first.
        if import_job.state == ImportJob.State.APPLIED:
            messages.info(request, _("This file has already been imported."))
        else:
            messages.error(request, _("This import has already been run."))
    elif import_job.state == ImportJob.State.APPLYING:
        background.message_queued(request, import_job)
    elif import_job.state == ImportJob.State.APPLIED:
        messages.success(
            request,
            _("Imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % import_job.counts,
        )
    else:
        messages.error(request, import_job.message)
    return redirect("imports:job", kind=kind.name, pk=import_job.pk)


def _xlsx_download(write, filename: str) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    write(handle)
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return response


@kind_permission_required("import")
@require_GET
def errors(request, kind, pk):
    """Every row error of the job as a workbook."""
    import_job = get_job_for(request, kind, pk)
    return _xlsx_download(
        lambda target: error_workbook(import_job.errors, target),
        f"{kind.name}-errors-{import_job.pk}.xlsx",
    )


@kind_permission_required("export")
@require_GET
def export(request, kind):
    """The kind's sheet of everything the user may see, ready to be edited and imported."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_download(
        lambda target: export_workbook(kind, kind.export_queryset(request.user), target),
        f"{kind.name}-{stamp}.xlsx",
    )


@permission_required("registry.view_organisation", raise_exception=True)
@require_GET
def index(request):
    """Every sheet the user may import or export, with its columns and recent imports."""
    from .importing import all_kinds

    kinds = [
        {
            "kind": k,
            "can_import": k.can_import(request.user),
            "can_export": k.can_export(request.user),
        }
        for k in all_kinds()
    ]
    kinds = [k for k in kinds if k["can_import"] or k["can_export"]]
    jobs = ImportJob.objects.owned_by(request.user)[:10]
    return render(request, "imports/index.html", {"kinds": kinds, "jobs": jobs})
