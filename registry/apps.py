from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Register")

    def ready(self):
        from auditlog.registry import auditlog

        from zhenhai_so.menu import MenuItem, register

        from . import models, views
        from .tabs import OrganisationTab, register_tab

        for model in (
            models.Township,
            models.Community,
            models.Organisation,
            models.RegistrationApplication,
            models.AnnualReport,
            models.Inspection,
            models.ListEntry,
            models.Inspector,
            models.SpotCheckPlan,
            models.DrawnOrganisation,
        ):
            auditlog.register(model, exclude_fields=["version", "created_at", "updated_at"])

        view = "registry.view_organisation"
        register(
            MenuItem("work", _("Applications"), "registry:application_list", "inbox",
                     "registry.view_registrationapplication", 10),
            MenuItem("register", _("Overview"), "registry:overview", "speedometer2", view, 1),
            MenuItem("register", _("Organisations"), "registry:organisation_list", "building",
                     view, 10),
            MenuItem("register", _("Annual reports"), "registry:annual_report_board",
                     "journal-check", "registry.view_annualreport", 20),
            MenuItem("register", _("Spot checks"), "registry:inspection_list", "clipboard-check",
                     "registry.view_inspection", 30),
            MenuItem("register", _("Spot-check draws"), "registry:spot_check_list", "shuffle",
                     "registry.view_spotcheckplan", 35),
            MenuItem("register", _("Abnormal list and blacklist"), "registry:list_entry_list",
                     "exclamation-octagon", "registry.view_listentry", 40),
            MenuItem("register", _("Townships and communities"), "registry:township_list", "map",
                     "zhenhai_so.view_reference", 90),
        )  # fmt: skip
        for tab in (
            OrganisationTab("basic", _("Basic facts"), "registry/tabs/basic.html",
                            views._basic_tab, view, 0),
            OrganisationTab("reports", _("Annual reports"), "registry/tabs/reports.html",
                            views._reports_tab, "registry.view_annualreport", 10),
            OrganisationTab("inspections", _("Spot checks"), "registry/tabs/inspections.html",
                            views._inspections_tab, "registry.view_inspection", 20),
            OrganisationTab("lists", _("Lists"), "registry/tabs/lists.html", views._lists_tab,
                            "registry.view_listentry", 30),
            OrganisationTab("history", _("Change history"), "registry/tabs/history.html",
                            views._history_tab, view, 900),
        ):  # fmt: skip
            register_tab(tab)
