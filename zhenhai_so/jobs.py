"""Background work (issue 7): large imports and exports as Celery tasks, the beat schedule's
last runs, the clean-up and the sweeper.

The shape of every job is the same:

1. a service saves the job row (``ImportJob`` or ``Download``) in the state that says "waiting"
   with ``queued_at``, and hands its id to the broker **after the transaction commits**
   (:func:`enqueue_on_commit`);
2. when the broker cannot be reached (Redis down or hung) the failure is logged and the page says
   so; nothing is lost, because the row is saved and :func:`requeue_stuck` (beat, every five
   minutes, and ``manage.py requeue_jobs``) hands it over again;
3. the task (``zhenhai_so.tasks``) takes the id, loads the row and calls one service here; it is
   acknowledged late, so a worker killed halfway leaves the message to another worker, and the
   service checks the state under ``select_for_update`` so a second run does no harm.

Apps offer exports through :func:`start_export` with a builder marked :func:`export_builder`.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from celery.schedules import crontab, schedule
from django.conf import settings
from django.contrib import messages
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .excel import new_workbook, write_sheet
from .import_preview import store_preview
from .importing import (
    ImportFailed,
    ImportKind,
    _open_job_file,
    get_kind,
    import_job_preview,
    read_sheet,
    validate,
)
from .models import DOWNLOAD_DAYS, Download, ImportJob, Notification, TaskRun, User
from .notifications import notify

logger = logging.getLogger(__name__)

# A job still queued after this long was lost by the broker (or never reached it).
STUCK_AFTER = datetime.timedelta(minutes=5)
# Uploaded import files are kept this long (their rows are in the register by then).
IMPORT_FILE_DAYS = 7
PROGRESS_EVERY = 100


def background_rows() -> int:
    """Above this many rows an import or export runs as a task (issue 7: 2,000)."""
    return settings.BACKGROUND_ROWS


# ---------------------------------------------------------------------------------------------
# Enqueueing


def enqueue(task, job_id: int) -> bool:
    """Hand a job id to the broker now; False (logged) when the broker cannot be reached.

    In eager mode (no ``REDIS_URL``) the task runs here, once: retrying with back-off inside a
    web request helps nobody, so it starts as its own last retry and a failure is the job's,
    recorded on its row by the task, not raised into the page.
    """
    if task.app.conf.task_always_eager:
        task.apply(args=(job_id,), throw=False, retries=task.max_retries or 0)
        return True
    try:
        task.apply_async(args=(job_id,))
    except Exception:  # kombu.OperationalError, redis errors, socket timeouts: all the same here
        logger.exception("could not queue %s(%s); the sweeper will retry", task.name, job_id)
        return False
    return True


def enqueue_on_commit(task, job) -> None:
    """Enqueue ``task(job.pk)`` once the current transaction commits; afterwards
    ``job.enqueued`` says whether the broker took it (views turn False into a message)."""
    job.enqueued = None

    def send():
        job.enqueued = enqueue(task, job.pk)

    transaction.on_commit(send)


def message_queued(request, job) -> None:
    """Tell the user where the job stands once the request's transaction has committed."""
    if getattr(job, "enqueued", True) is False:
        messages.warning(
            request,
            _(
                "The work could not be queued just now; it is saved and will be retried "
                "automatically within a few minutes."
            ),
        )
    else:
        messages.info(request, _("The work has been queued; this page shows its progress."))


# ---------------------------------------------------------------------------------------------
# Exports


@dataclass
class Sheet:
    """One sheet of an export: ``rows`` is iterated once, ``total`` is its length."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    total: int


@dataclass
class Export:
    """What a builder returns: the file name's stem and the sheets, in order."""

    filename: str
    sheets: list[Sheet]


def export_builder(function: Callable[..., Export]) -> Callable[..., Export]:
    """Mark ``function(*, user, params) -> Export`` as runnable by the export task. Only marked
    functions are: the task imports a builder by the dotted path stored on the row."""
    function.is_export_builder = True
    return function


def builder_path(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def get_builder(path: str) -> Callable[..., Export]:
    builder = import_string(path)
    if not getattr(builder, "is_export_builder", False):
        raise ValueError(f"{path} is not an export builder")
    return builder


@transaction.atomic
def start_export(*, user: User, kind: Callable | str, title: str, params: dict) -> Download:
    """Queue an export for ``user``: ``kind`` is a builder marked ``@export_builder`` (or its
    dotted path) and ``params`` what it needs, JSON only. The caller checks the permission; the
    builder scopes the rows to the user. Returns the download; ``download.enqueued`` is False
    when the broker could not be reached (the sweeper will queue it later)."""
    from .tasks import run_export

    path = kind if isinstance(kind, str) else builder_path(kind)
    get_builder(path)  # refuse an unmarked function now, not in the worker
    download = Download(user=user, kind=path, title=str(title)[:200], params=params)
    download.full_clean()
    download.save()
    enqueue_on_commit(run_export, download)
    return download


def _claim_download(download_id: int) -> Download | None:
    """Take the download for this run: queued, or running when the worker that ran it died
    (building a file again is harmless). None when it is finished or gone."""
    with transaction.atomic():
        download = Download.objects.select_for_update().filter(pk=download_id).first()
        if download is None or download.is_finished:
            return None
        download.state, download.started_at = Download.State.RUNNING, timezone.now()
        download.rows_done = 0
        download.save(update_fields=["state", "started_at", "rows_done"])
        return download


def download_run(*, download_id: int) -> Download | None:
    """Build the download's workbook (the export task): rows are streamed from the builder into
    a temporary file, ``rows_done`` is written every ``PROGRESS_EVERY`` rows for the progress
    bar, and the finished file is stored under ``MEDIA_ROOT/downloads``. Idempotent: a finished
    download is left alone."""
    download = _claim_download(download_id)
    if download is None:
        return None
    export = get_builder(download.kind)(user=download.user, params=download.params)
    total = sum(sheet.total for sheet in export.sheets)
    Download.objects.filter(pk=download.pk).update(rows_total=total)
    report = _progress_writer(Download, download.pk, total)
    workbook = new_workbook()
    done = 0
    for sheet in export.sheets:
        rows = _counted(sheet.rows, start=done, report=report)
        write_sheet(workbook, str(sheet.title), sheet.headers, rows)
        done += sheet.total
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryFile() as handle, transaction.atomic():
        workbook.save(handle)
        handle.seek(0)
        download = Download.objects.select_for_update().get(pk=download.pk)
        if download.is_finished:  # a parallel run finished first
            return download
        download.file.save(f"{download.uuid}.xlsx", File(handle), save=False)
        download.filename = f"{export.filename}-{stamp}.xlsx"
        download.state, download.finished_at = Download.State.DONE, timezone.now()
        download.expires_at = download.finished_at + datetime.timedelta(days=DOWNLOAD_DAYS)
        download.rows_total = download.rows_done = total
        download.error = ""
        download.full_clean()
        download.save()
    notify(
        users=[download.user],
        kind=Notification.Kind.JOB,
        title=_("Your export is ready: %(title)s") % {"title": download.title},
        link=reverse("jobs:download_list"),
        key=f"download-{download.uuid}",
    )
    return download


@transaction.atomic
def download_fail(*, download_id: int, error: str) -> None:
    """The export task gave up: say why on the row and tell the user."""
    download = Download.objects.select_for_update().filter(pk=download_id).first()
    if download is None or download.is_finished:
        return
    download.state, download.finished_at = Download.State.FAILED, timezone.now()
    download.error = _("The export could not be made: %(error)s") % {"error": error[:500]}
    download.rows_done = min(download.rows_done, download.rows_total)
    download.save()
    notify(
        users=[download.user],
        kind=Notification.Kind.JOB,
        title=_("Your export failed: %(title)s") % {"title": download.title},
        body=download.error,
        link=reverse("jobs:download_list"),
        key=f"download-{download.uuid}",
    )


def _progress_writer(model, pk: int, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        # Outside any transaction, so the page polling the row sees it at once.
        model.objects.filter(pk=pk).update(rows_done=min(done, total))

    return report


def _counted(rows: Iterable, *, start: int, report: Callable[[int], None]) -> Iterator:
    done = start
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            report(done)


# ---------------------------------------------------------------------------------------------
# Imports


class _CountingKind:
    """The import kind, reporting how many rows ``validate`` has parsed so far; everything else
    is the kind's own (``validate`` and ``write_plan`` only call its methods)."""

    def __init__(self, kind: ImportKind, report: Callable[[int], None]):
        self._kind, self._report, self._parsed = kind, report, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kind, name)

    def parse_row(self, row, ctx):
        self._parsed += 1
        if self._parsed % PROGRESS_EVERY == 0:
            self._report(self._parsed)
        return self._kind.parse_row(row, ctx)


def count_rows(rows: list[list]) -> int:
    """Data rows of a sheet read by ``read_sheet``: all but the header and blank rows."""
    return sum(1 for cells in rows[1:] if any(c not in (None, "") for c in cells))


@transaction.atomic
def import_job_upload(
    *, user: User, kind: ImportKind, uploaded_file, remote_addr: str | None = None
) -> ImportJob:
    """Store an uploaded workbook and check it: at once when it is small (the page shows the
    preview), by a task when it has more than ``background_rows()`` rows (the page shows a
    progress bar until the preview is ready). ``job.enqueued`` is False when the broker could
    not be reached."""
    from .importing import import_job_create
    from .tasks import preview_import

    try:
        rows = count_rows(read_sheet(uploaded_file))
    except ImportFailed:
        rows = 0  # import_job_create records the same failure on the job
    uploaded_file.seek(0)
    if rows <= background_rows():
        return import_job_create(user=user, kind=kind, uploaded_file=uploaded_file)
    job = ImportJob(
        user=user,
        kind=kind.name,
        original_name=str(uploaded_file.name)[:255],
        rows_total=rows,
        queued_at=timezone.now(),
        remote_addr=remote_addr,
    )
    job.file.save(f"{job.uuid}.xlsx", File(uploaded_file), save=False)
    job.full_clean()
    job.save()
    enqueue_on_commit(preview_import, job)
    return job


def import_job_run_preview(*, job_id: int) -> ImportJob | None:
    """Check a large upload (the preview task); a job already checked is left alone."""
    job = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.UPLOADED).first()
    if job is None:
        return None
    kind = _CountingKind(get_kind(job.kind), _progress_writer(ImportJob, job.pk, job.rows_total))
    try:
        with job.file.open("rb") as handle:
            plan = validate(kind, handle, user=job.user)
    except ImportFailed:
        plan = None
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.state != ImportJob.State.UPLOADED:
            return job
        if plan is None:
            return import_job_preview(job=job)  # records the file-level failure as usual
        job.state, job.message = ImportJob.State.PREVIEWED, ""
        job.counts, job.errors = plan.counts, [e.as_list() for e in plan.errors]
        job.rows_total, job.rows_done = plan.rows_total, plan.rows_total
        store_preview(job=job, plan=plan)
        job.save()
    _tell_import_user(job, _("Your import has been checked: %(name)s"))
    return job


def import_job_apply(
    *, job: ImportJob, skip_invalid: bool, remote_addr: str | None = None
) -> ImportJob:
    """Confirm an import: the one lifecycle of every web import, small or large.

    The job row is locked (``select_for_update``) and its state re-checked inside the
    transaction, so of two simultaneous confirmations (a double-click) exactly one moves the job
    previewed → applying; the other gets the job as it is and writes nothing (``job.confirmed``
    is False then). Up to ``background_rows()`` rows the write runs at once in this request,
    above it in the apply task; both run :func:`import_job_run_apply`, which takes the lock
    again before it writes."""
    from .tasks import apply_import

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state != ImportJob.State.PREVIEWED:
            job.confirmed = False
            return job
        job.state, job.skip_invalid, job.remote_addr = (
            ImportJob.State.APPLYING,
            skip_invalid,
            remote_addr,
        )
        job.queued_at, job.rows_done, job.message = timezone.now(), 0, ""
        job.full_clean()
        job.save()
        in_background = job.rows_total > background_rows()
        if in_background:
            enqueue_on_commit(apply_import, job)
    if not in_background:
        # A request that dies here leaves the job applying with ``queued_at`` set: the sweeper
        # hands it to a task, which writes it once.
        job = import_job_run_apply(job_id=job.pk, notify_user=False) or job
    job.confirmed = True
    return job


def import_job_run_apply(*, job_id: int, notify_user: bool = True) -> ImportJob | None:
    """Write a confirmed import (the apply task, or the request for a small file): the file is
    validated again (the register may have changed since the preview) with progress, then the
    records, the job's *applied* state and the audit entry are written in **one transaction**
    under a lock on the job whose state is checked again there. A worker killed halfway
    therefore leaves nothing written and the job *applying*, so the task runs again from the
    start; a second run of a finished job sees *applied* and returns (all or nothing, exactly
    once)."""
    job = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.APPLYING).first()
    if job is None:
        return None
    real_kind = get_kind(job.kind)
    kind = _CountingKind(real_kind, _progress_writer(ImportJob, job.pk, job.rows_total))
    try:
        with _open_job_file(job) as handle:
            plan = validate(kind, handle, user=job.user)
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.state != ImportJob.State.APPLYING:
                return job  # another run got here first
            job.counts, job.errors = plan.counts, [e.as_list() for e in plan.errors]
            if not plan.is_valid and not job.skip_invalid:
                job.state = ImportJob.State.PREVIEWED
                job.message = _("Some rows are invalid, so nothing was saved.")
                job.save()
                return job
            if plan.new or plan.updated:
                real_kind.apply(plan, user=job.user, remote_addr=job.remote_addr)
            job.state, job.applied_at, job.message = ImportJob.State.APPLIED, timezone.now(), ""
            job.rows_done = plan.rows_total
            job.save()
            LogEntry.objects.log_create(
                job,
                action=LogEntry.Action.UPDATE,
                changes={"state": [ImportJob.State.APPLYING, ImportJob.State.APPLIED]},
                actor=job.user,
                remote_addr=job.remote_addr,
                additional_data={"kind": job.kind, **plan.counts},
            )
    except ImportFailed as error:
        import_job_fail(job_id=job_id, error=str(error), notify_user=notify_user)
        return ImportJob.objects.get(pk=job_id)
    if notify_user:
        _tell_import_user(job, _("Your import has been saved: %(name)s"))
    return job


@transaction.atomic
def import_job_fail(*, job_id: int, error: str, notify_user: bool = True) -> None:
    """An import task gave up: the job fails with the reason shown on its page, and the user
    is told. A job already applied stays applied."""
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state in (ImportJob.State.APPLIED, ImportJob.State.FAILED):
        return
    job.state = ImportJob.State.FAILED
    job.message = _("The import could not be completed, so nothing was saved: %(error)s") % {
        "error": error[:500]
    }
    job.save()
    if notify_user:
        _tell_import_user(job, _("Your import failed: %(name)s"), body=job.message)


def _tell_import_user(job: ImportJob, title: str, body: str = "") -> None:
    notify(
        users=[job.user],
        kind=Notification.Kind.JOB,
        title=title % {"name": job.original_name},
        body=body,
        link=reverse("imports:job", kwargs={"kind": job.kind, "pk": job.pk}),
        key=f"import-{job.uuid}-{job.state}",
    )


# ---------------------------------------------------------------------------------------------
# The sweeper and the clean-up


def requeue_stuck(*, now: datetime.datetime | None = None) -> int:
    """Hand every job queued more than ``STUCK_AFTER`` ago to the broker again (the broker
    was down when it was created, or lost it). Running a job twice does no harm."""
    from .tasks import apply_import, preview_import, run_export

    now = now or timezone.now()
    before = now - STUCK_AFTER
    # A download still running after the hard time limit lost its worker and its message.
    died = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 300)
    downloads = Download.objects.stuck(before) | Download.objects.filter(
        state=Download.State.RUNNING, started_at__lt=died
    )
    jobs = [(run_export, Download, pk) for pk in downloads.values_list("pk", flat=True)]
    for state, task in (
        (ImportJob.State.UPLOADED, preview_import),
        (ImportJob.State.APPLYING, apply_import),
    ):
        stuck = ImportJob.objects.filter(state=state, queued_at__lt=before)
        jobs += [(task, ImportJob, pk) for pk in stuck.values_list("pk", flat=True)]
    queued = 0
    for task, model, pk in jobs:
        if enqueue(task, pk):
            model.objects.filter(pk=pk).update(queued_at=now)
            queued += 1
    if jobs:
        logger.info("requeued %d of %d stuck jobs", queued, len(jobs))
    return queued


def clean_up_files(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete expired downloads (rows and files) and the files of imports uploaded more than
    ``IMPORT_FILE_DAYS`` ago (the rows stay: they are the history of who imported what)."""
    now = now or timezone.now()
    downloads = 0
    for download in Download.objects.expired(now):
        if download.file:
            download.file.delete(save=False)
        download.delete()
        downloads += 1
    imports = 0
    old = ImportJob.objects.filter(created_at__lt=now - datetime.timedelta(days=IMPORT_FILE_DAYS))
    for job in old.exclude(file=""):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        imports += 1
    return {"downloads": downloads, "import_files": imports}


# ---------------------------------------------------------------------------------------------
# The schedule


def record_run(task_name: str, *, started: bool, ok: bool = True, result: Any = None) -> None:
    """Write the scheduled task's ``TaskRun`` row (from the Celery signals in ``tasks``)."""
    now = timezone.now()
    if started:
        run, _created = TaskRun.objects.get_or_create(
            task=task_name, defaults={"started_at": now, "outcome": TaskRun.Outcome.RUNNING}
        )
        run.started_at, run.finished_at, run.outcome = now, None, TaskRun.Outcome.RUNNING
        run.runs += 1
        run.save()
    else:
        TaskRun.objects.filter(task=task_name).update(
            finished_at=now,
            outcome=TaskRun.Outcome.OK if ok else TaskRun.Outcome.FAILED,
            result=str(result if result is not None else "")[:300],
        )


def scheduled_task_names() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def describe_schedule(value) -> str:
    """A beat schedule in words: "daily at 08:00", "every 5 minutes"."""
    if isinstance(value, int | float | datetime.timedelta):
        value = schedule(value)
    if isinstance(value, crontab):
        minute, hour = str(value._orig_minute), str(value._orig_hour)
        dom, month, dow = (
            str(value._orig_day_of_month),
            str(value._orig_month_of_year),
            str(value._orig_day_of_week),
        )
        every_day = dom == month == dow == "*"
        if every_day and hour == "*" and minute == "*":
            return _("every minute")
        if every_day and hour == "*" and minute.startswith("*/"):
            return _("every %(n)s minutes") % {"n": minute[2:]}
        if every_day and hour.isdigit() and minute.isdigit():
            return _("daily at %(time)s") % {"time": f"{int(hour):02d}:{int(minute):02d}"}
        return _("cron: minute %(m)s, hour %(h)s, day %(dom)s, month %(mon)s, weekday %(dow)s") % {
            "m": minute,
            "h": hour,
            "dom": dom,
            "mon": month,
            "dow": dow,
        }
    if isinstance(value, schedule):
        seconds = int(value.run_every.total_seconds())
        if seconds % 60 == 0:
            return _("every %(n)s minutes") % {"n": seconds // 60}
        return _("every %(n)s seconds") % {"n": seconds}
    return str(value)


def schedule_rows() -> list[dict]:
    """The beat schedule as the admin page lists it, with each task's last run (one query)."""
    runs = {run.task: run for run in TaskRun.objects.all()}
    return [
        {
            "name": name,
            "task": entry["task"],
            "when": describe_schedule(entry["schedule"]),
            "run": runs.get(entry["task"]),
        }
        for name, entry in sorted(settings.CELERY_BEAT_SCHEDULE.items())
    ]
