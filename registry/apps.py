from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Register")

    def ready(self):
        from auditlog.registry import auditlog

        from zhenhai_so.menu import MenuItem, register

        from . import models

        for model in (
            models.Township,
            models.Community,
            models.Organisation,
            models.RegistrationApplication,
            models.AnnualReport,
            models.Inspection,
            models.ListEntry,
        ):
            auditlog.register(model, exclude_fields=["version", "created_at", "updated_at"])
        register(
            MenuItem(
                "register",
                _("Overview"),
                "registry:overview",
                "speedometer2",
                "registry.view_organisation",
                1,
            ),
            MenuItem(
                "register",
                _("Townships and communities"),
                "registry:township_list",
                "map",
                "zhenhai_so.view_reference",
                90,
            ),
        )
