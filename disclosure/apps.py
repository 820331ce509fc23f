from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    """Public disclosure pages (信息公开): read-only, no login, for anyone.

    The app reads the register and, when installed, procurement; nothing imports it.
    """

    name = "disclosure"
    verbose_name = _("Public disclosure")
