"""Pages of the background work (issue 7): "My downloads", one download with its progress bar,
the progress endpoints the bar polls (``static/js/progress.js``), and the beat schedule.

A download or an import job is its owner's alone: anyone else gets 404, whatever their role.
"""

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .excel import XLSX_CONTENT_TYPE, content_disposition, export_response
from .jobs import schedule_rows
from .models import Download, ImportJob
from .pagination import paginate


def get_download_for(request, pk: int) -> Download:
    """The user's own download, while it is kept; 404 for anyone else's or an expired one."""
    return get_object_or_404(Download.objects.owned_by(request.user).available(), pk=pk)


def download_progress_data(download: Download) -> dict:
    return {
        "done": download.rows_done,
        "total": download.rows_total,
        "state": download.state,
        "label": download.get_state_display(),
        "finished": download.is_finished,
    }


def import_progress_data(job: ImportJob) -> dict:
    waiting = job.state in (ImportJob.State.UPLOADED, ImportJob.State.APPLYING)
    return {
        "done": job.rows_done,
        "total": job.rows_total,
        "state": job.state,
        "label": job.get_state_display(),
        "finished": not waiting,
    }


@require_GET
def download_list(request):
    """Every signed-in user's own downloads of the last seven days, newest first."""
    downloads = Download.objects.owned_by(request.user).available()
    state = request.GET.get("state", "")
    if state in Download.State.values:
        downloads = downloads.filter(state=state)
    if request.GET.get("export") == "xlsx":
        return export_response(
            "downloads",
            _("My downloads"),
            [_("Asked for"), _("Export"), _("State"), _("Rows"), _("Kept until"), _("File")],
            (
                (
                    d.created_at,
                    d.title,
                    d.get_state_display(),
                    d.rows_total,
                    d.expires_at,
                    d.filename,
                )
                for d in downloads
            ),
        )
    return render(
        request,
        "zhenhai_so/jobs/download_list.html",
        {"page": paginate(request, downloads), "states": Download.State.choices, "state": state},
    )


@require_GET
def download_detail(request, pk):
    """One download: the progress bar while it is made, the link when it is ready."""
    download = get_download_for(request, pk)
    return render(
        request,
        "zhenhai_so/jobs/download_detail.html",
        {"download": download, "progress": download_progress_data(download)},
    )


@require_GET
def download_progress(request, pk):
    """Rows done of rows total, polled every second by the progress bar."""
    return JsonResponse(download_progress_data(get_download_for(request, pk)))


@require_GET
def download_file(request, pk):
    download = get_download_for(request, pk)
    if download.state != Download.State.DONE or not download.file:
        raise Http404
    try:
        handle = download.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(download.filename)
    return response


@require_GET
def import_progress(request, pk):
    """The progress of the user's own import job, for the bar on the import page."""
    job = get_object_or_404(ImportJob.objects.owned_by(request.user), pk=pk)
    return JsonResponse(import_progress_data(job))


@permission_required("zhenhai_so.view_schedule", raise_exception=True)
@require_GET
def schedule(request):
    """The beat schedule (settings.CELERY_BEAT_SCHEDULE) with each task's last run."""
    return render(
        request,
        "zhenhai_so/jobs/schedule.html",
        {"rows": schedule_rows(), "now": timezone.now()},
    )
