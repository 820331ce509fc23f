from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zhenhai_so"
    verbose_name = _("Portal")

    def ready(self):
        from auditlog.registry import auditlog
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from . import auth, dataversion, menu, roles, uploads  # noqa: F401  (uploads: a check)
        from .models import User

        # Every write to the register's data makes the values cached under its version stale.
        connection_created.connect(dataversion.install, dispatch_uid="watch_data_writes")
        # Writes made outside a transaction are told to the listeners after the response.
        request_finished.connect(dataversion.flush_after_request, dispatch_uid="flush_writes")
        # Every change of who holds which permission makes the cached permission sets stale.
        auth.watch_permission_changes()
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="sync_role_groups")
        auditlog.register(User, exclude_fields=["password", "last_login"])
        menu.register_portal_items()
