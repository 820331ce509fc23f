from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zhenhai_so"
    verbose_name = _("Portal")

    def ready(self):
        from auditlog.registry import auditlog

        from . import menu, roles, uploads  # noqa: F401  (uploads registers a system check)
        from .models import User

        post_migrate.connect(roles.sync_role_groups, dispatch_uid="sync_role_groups")
        auditlog.register(User, exclude_fields=["password", "last_login"])
        menu.register_portal_items()
