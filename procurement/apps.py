from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = _("Purchase of services")

    def ready(self):
        from auditlog.registry import auditlog

        from registry.tabs import OrganisationTab, register_tab
        from zhenhai_so.menu import MenuItem, register

        from . import models, views

        for model in (
            models.CatalogueItem,
            models.RecommendedEntry,
            models.PersonnelCostCap,
            models.Project,
            models.PerformanceEvaluation,
            models.Award,
            models.Brand,
        ):
            auditlog.register(model, exclude_fields=["version", "created_at", "updated_at"])

        view = "procurement.view_project"
        register(
            MenuItem("services", _("Projects"), "procurement:project_list", "briefcase", view, 10),
            MenuItem("services", _("Project totals"), "procurement:totals", "bar-chart", view, 11),
            MenuItem("services", _("Service catalogues"), "procurement:catalogue", "list-columns",
                     "procurement.view_catalogueitem", 12),
            MenuItem("services", _("Excellent teams"), "procurement:award_list", "award",
                     "procurement.view_award", 13),
            MenuItem("services", _("Public-welfare brands"), "procurement:brand_list", "stars",
                     "procurement.view_brand", 14),
        )  # fmt: skip
        register_tab(
            OrganisationTab("projects", _("Projects"), "procurement/tabs/projects.html",
                            views.projects_tab, view, 40)
        )  # fmt: skip
