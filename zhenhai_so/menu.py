"""The side menu. Each app registers its entries in ``AppConfig.ready``; the menu shows a user
only the entries whose permission they hold, so the menu never offers a page that would refuse."""

import functools
from dataclasses import dataclass

from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
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
# A constant attribute, no user input: reviewed for bandit B308.
ARIA_CURRENT = mark_safe(' aria-current="page"')  # nosec B308  # noqa: S308

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


def _ordered() -> list[MenuItem]:
    return sorted(_ITEMS.values(), key=lambda i: (list(SECTIONS).index(i.section), i.order))


def _visible(user) -> tuple[str, ...]:
    """The url names of the entries the user may open ("" permission: every signed-in user)."""
    return tuple(
        item.url_name
        for item in _ordered()
        if not item.permission or user.has_perm(item.permission)
    )


def _sections(visible: tuple[str, ...], current_url_name: str | None) -> list[dict]:
    sections: dict[str, list[dict]] = {}
    for url_name in visible:
        item = _ITEMS[url_name]
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


def sidebar(user, current_url_name: str | None = None) -> str:
    """The side menu's HTML for one user on one page ("" when they may open nothing).

    Every page draws it, and drawing thirty entries through the template engine took a few
    milliseconds of each request; the HTML depends only on which entries the user may open,
    the current page and the language, so it is built in Python once per such combination."""
    return _sidebar_html(_visible(user), current_url_name, get_language(), get_script_prefix())


@functools.lru_cache(maxsize=1024)
def _sidebar_html(visible, current_url_name, language, script_prefix) -> str:
    parts = []
    for section in _sections(visible, current_url_name):
        entries = format_html_join(
            "\n",
            '<li class="nav-item"><a class="nav-link{}" href="{}"{}>'
            '<i class="bi bi-{} me-2" aria-hidden="true"></i>{}</a></li>',
            (
                (
                    " active" if entry["active"] else "",
                    entry["url"],
                    ARIA_CURRENT if entry["active"] else "",
                    entry["icon"],
                    entry["label"],
                )
                for entry in section["items"]
            ),
        )
        parts.append(
            format_html(
                '<h2 class="sidebar-heading">{}</h2>\n<ul class="nav flex-column mb-3">\n{}\n</ul>',
                section["title"],
                entries,
            )
        )
    if not parts:
        return ""
    return format_html(
        '<nav class="col-md-3 col-lg-2 sidebar d-print-none py-3" aria-label="{}">\n{}\n</nav>',
        _("Main menu"),
        format_html_join("\n", "{}", ((part,) for part in parts)),
    )


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
