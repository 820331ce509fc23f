"""The portal's user: one role, and for township offices the township they serve."""

import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Login names are unique case-insensitively (SECURITY.md item 1), so look them up that way.
        return self.get(username__iexact=username)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, db_index=True)
    township = models.ForeignKey(
        "registry.Township",
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Required for township office users, empty for everyone else."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.TOWNSHIP_OFFICE, township__isnull=False)
                    | (~models.Q(role=Role.TOWNSHIP_OFFICE) & models.Q(township__isnull=True))
                ),
                name="user_township_iff_township_office",
            ),
        ]
        permissions = [
            ("manage_users", _("Can manage users")),
            ("manage_security", _("Can manage security settings")),
            ("view_reference", _("Can view reference data")),
            ("view_auditlog", _("Can view the audit log")),
            ("export_auditlog", _("Can export the audit log")),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_township_office(self) -> bool:
        return self.role == Role.TOWNSHIP_OFFICE

    @property
    def is_bureau_staff(self) -> bool:
        return self.role == Role.BUREAU_STAFF

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER

    @property
    def scope_township_id(self) -> int | None:
        """The township this user is confined to, or None for district-wide roles."""
        return self.township_id if self.role == Role.TOWNSHIP_OFFICE else None


class ImportJobQuerySet(models.QuerySet):
    def owned_by(self, user):
        """A job is private to the user who uploaded it (anyone else gets 404)."""
        return self.filter(user=user)


def _import_upload_to(job, filename):
    return f"imports/{job.uuid}.xlsx"


class ImportJob(models.Model):
    """One uploaded import workbook and what became of it (``zhenhai_so.importing``).

    uploaded → previewed → applied | failed. ``counts``, ``errors`` and ``rows_done`` are written
    by ``jobs.import_job_run_apply`` (in the request for a small file, in a Celery task for a
    large one), so a page can poll ``rows_done`` / ``rows_total`` for a progress bar.

    A large file (``zhenhai_so.jobs``) waits in *uploaded* for its check and in *applying* for its
    write, each run by a task; ``queued_at`` is when it was last handed to the broker, so the
    sweeper can hand it again when the broker lost it.
    """

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Previewed")
        APPLYING = "applying", _("Being saved")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.UPLOADED
    )
    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [[row, column, reason], ...], every invalid row of the last run.
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The uploader's address, for the audit entries a task writes on their behalf.
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    # Read-only columns of the file (a list export's grade, names, …), ignored by the import.
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        default_permissions = ()  # who may import is each kind's permissions, not the job's
        indexes = [
            models.Index(fields=["user", "kind", "-created_at"], name="importjob_user_idx"),
            models.Index(fields=["state", "queued_at"], name="importjob_queued_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.original_name} ({self.get_state_display()})"

    @property
    def kind_label(self) -> str:
        """The kind's name in words ("社会组织"), not its code."""
        from .importing import get_kind

        kind = get_kind(self.kind)
        return str(kind.label) if kind is not None else self.kind


class ImportPreviewRow(models.Model):
    """What one row of an import's file will do, stored by the preview (before anything is
    saved) so that the job page can list, filter and page through the rows of a large file
    checked in the background. ``details`` holds ``[[column, old, new], ...]`` for a changed
    row and ``[[column, reason], ...]`` for an invalid one."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        CHANGED = "changed", _("Updated")  # as the counts name it
        UNCHANGED = "unchanged", _("Unchanged")
        INVALID = "invalid", _("Invalid")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="preview_rows")
    row = models.PositiveIntegerField(_("row"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    label = models.CharField(_("record"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=list, blank=True)

    class Meta:
        verbose_name = _("import preview row")
        verbose_name_plural = _("import preview rows")
        ordering = ["job", "row"]
        default_permissions = ()
        indexes = [models.Index(fields=["job", "state", "row"], name="importrow_job_state_idx")]
        constraints = [
            models.UniqueConstraint(fields=["job", "row"], name="importrow_job_row_unique")
        ]

    def __str__(self):
        return f"{self.job_id} row {self.row}: {self.state}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a user's notification centre (the bell), e-mailed too when e-mail is set up.

    ``key`` makes a reminder idempotent: the same reminder (say, the 2019 Q3 report of one
    township being late) is created once however often the scheduled task runs.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        REVIEW = "review", _("Waiting for review")
        RETURNED = "returned", _("Returned")
        JOB = "job", _("Background work")
        WARNING = "warning", _("Warning")

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


# ---------------------------------------------------------------------------------------------
# Background work (zhenhai_so.jobs): exports built by a task, and the scheduled tasks' last runs.

DOWNLOAD_DAYS = 7


class DownloadQuerySet(models.QuerySet):
    def owned_by(self, user):
        """A download is private to the user who asked for it (anyone else gets 404)."""
        return self.filter(user=user)

    def available(self, now=None):
        """Not expired yet: the user's "My downloads" page."""
        return self.filter(expires_at__gt=now or timezone.now())

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())

    def stuck(self, before):
        """Queued but not picked up since ``before``: the broker lost them or was down."""
        return self.filter(state=Download.State.QUEUED, queued_at__lt=before)


def _download_upload_to(download, filename):
    return f"downloads/{download.uuid}.xlsx"


def _in_seven_days():
    return timezone.now() + timedelta(days=DOWNLOAD_DAYS)


class Download(models.Model):
    """An export built in the background: queued → running → done | failed.

    ``kind`` is the dotted path of the builder (a function marked ``@jobs.export_builder``) and
    ``params`` what it needs (the list's query string, a year); the task runs the builder with
    the user who asked, so the file holds only what that user may see. The file stays in the
    user's "My downloads" for seven days, then the nightly clean-up deletes it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="downloads"
    )
    kind = models.CharField(_("kind"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(_("file"), upload_to=_download_upload_to, max_length=200, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), default=_in_seven_days, db_index=True)

    objects = DownloadQuerySet.as_manager()

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        ordering = ["-created_at", "-id"]
        default_permissions = ()  # who may export is the export's permission, not the row's
        indexes = [
            models.Index(fields=["user", "-created_at"], name="download_user_idx"),
            models.Index(fields=["state", "queued_at"], name="download_queued_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(finished_at__isnull=False),
                name="download_done_has_finished_at",
            ),
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("rows_total")),
                name="download_rows_done_lte_total",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class TaskRun(models.Model):
    """The last run of each scheduled task, written by the task itself (``jobs.record_run``)
    and shown with the beat schedule to system administrators."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Succeeded")
        FAILED = "failed", _("Failed")

    task = models.CharField(_("task"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    result = models.CharField(_("result"), max_length=300, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("task run")
        verbose_name_plural = _("task runs")
        ordering = ["task"]
        default_permissions = ()
        permissions = [("view_schedule", _("Can view the schedule of background tasks"))]

    def __str__(self):
        return f"{self.task} {self.get_outcome_display()}"
