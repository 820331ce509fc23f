from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "targets"
    verbose_name = _("Plan and targets")

    def ready(self):
        from auditlog.registry import auditlog

        from zhenhai_so import dataversion
        from zhenhai_so.menu import MenuItem, register

        from . import checks, models, tasks  # noqa: F401  (checks: the metric check)

        for model in (
            models.Plan,
            models.Target,
            models.Milestone,
            models.Population,
            models.QuarterlyIndicator,
            models.QuarterlyReport,
            models.QuarterlyValue,
        ):
            auditlog.register(model, exclude_fields=["version", "created_at", "updated_at"])
        # A committed change to what targets read queues the refresh of their series.
        dataversion.on_commit_of_writes(tasks.request_refresh)
        register(
            MenuItem("plan", _("Dashboard"), "targets:dashboard", "speedometer",
                     "targets.view_targetvalue", 1),
            MenuItem("plan", _("Township quarterly reports"), "targets:report_board",
                     "calendar3", "targets.view_quarterlyreport", 10),
        )  # fmt: skip
