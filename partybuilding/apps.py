from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartybuildingConfig(AppConfig):
    name = "partybuilding"
    verbose_name = _("Party building")

    def ready(self):
        from auditlog.registry import auditlog

        from registry.tabs import OrganisationTab, register_tab
        from zhenhai_so.menu import MenuItem, register

        from . import models, views

        for model in (
            models.PartyOrganisation,
            models.InstructorAssignment,
            models.DemonstrationSite,
            models.PartyServiceCentre,
            models.Training,
            models.TrainingEnrolment,
        ):
            auditlog.register(model, exclude_fields=["version", "updated_at"])

        register(
            MenuItem("services", _("Party-building coverage"), "partybuilding:coverage",
                     "flag", "partybuilding.view_partyorganisation", 30),
            MenuItem("services", _("Party organisations"), "partybuilding:party_organisation_list",
                     "people", "partybuilding.view_partyorganisation", 31),
            MenuItem("services", _("Party-building instructors"), "partybuilding:instructor_list",
                     "person-badge", "partybuilding.view_instructorassignment", 32),
            MenuItem("services", _("Demonstration sites"), "partybuilding:site_list",
                     "star", "partybuilding.view_demonstrationsite", 33),
            MenuItem("services", _("Party-mass service centres"), "partybuilding:centre_list",
                     "house-heart", "partybuilding.view_partyservicecentre", 34),
            MenuItem("services", _("Trainings"), "partybuilding:training_list",
                     "mortarboard", "partybuilding.view_training", 35),
        )  # fmt: skip
        register_tab(
            OrganisationTab("party", _("Party building"), "partybuilding/tabs/party.html",
                            views.party_tab, "partybuilding.view_partyorganisation", 50)
        )  # fmt: skip
