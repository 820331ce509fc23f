"""The side menu. Each app registers its entries in ``AppConfig.ready``; the menu shows a user
only the entries whose permission they hold, so the menu never offers a page that would refuse."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    section: str
    label: str
    url_name: str
    icon: str
    permission: str  # "" for a page every signed-in user has (their own downloads)
    order: int = 100


_ITEMS: dict[str, MenuItem] = {}

SECTIONS = {
    "work": _("Daily work"),
    "register": _("Register"),
    "evaluation": _("Evaluation"),
    "services": _("Services and party building"),
    "plan": _("Plan and targets"),
    "admin": _("Administration"),
}


def register(*items: MenuItem) -> None:
    for item in items:
        _ITEMS[item.url_name] = item


def items_for(user, current_url_name: str | None = None) -> list[dict]:
    """The menu as sections of entries, in order, for one user."""
    sections: dict[str, list[dict]] = {}
    for item in sorted(_ITEMS.values(), key=lambda i: (list(SECTIONS).index(i.section), i.order)):
        if item.permission and not user.has_perm(item.permission):  # "": every signed-in user
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        sections.setdefault(item.section, []).append(
            {
                "label": item.label,
                "url": url,
                "icon": item.icon,
                "active": current_url_name == item.url_name,
            }
        )
    return [{"title": SECTIONS[key], "items": entries} for key, entries in sections.items()]


def register_portal_items() -> None:
    register(
        MenuItem(
            "work",
            _("Import and export"),
            "imports:index",
            "file-earmark-arrow-up",
            "registry.view_organisation",
            50,
        ),
        MenuItem("admin", _("Users"), "users:list", "people", "zhenhai_so.manage_users", 10),
        MenuItem(
            "admin", _("Audit log"), "audit:list", "journal-text", "zhenhai_so.view_auditlog", 20
        ),
        MenuItem("work", _("My downloads"), "jobs:download_list", "download", "", 90),
        MenuItem(
            "admin", _("Task schedule"), "jobs:schedule", "clock", "zhenhai_so.view_schedule", 30
        ),
    )
