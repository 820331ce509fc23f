from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "zhenhai_so.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self):
        from . import checks, receivers  # noqa: F401  (registers the check, connects receivers)
