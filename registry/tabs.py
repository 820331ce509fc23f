"""Tabs of the organisation page. The register owns the page; other apps contribute tabs
(evaluations, projects, party building) by registering them in their ``AppConfig.ready``, so
``registry`` never imports them.

A tab's ``context(request, organisation)`` returns the template context of its panel; it runs
only when that tab is open, with a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OrganisationTab:
    key: str
    label: str
    template: str
    context: Callable
    permission: str
    order: int = 100


_TABS: dict[str, OrganisationTab] = {}


def register_tab(tab: OrganisationTab) -> None:
    _TABS[tab.key] = tab


def tabs_for(user) -> list[OrganisationTab]:
    return sorted(
        (tab for tab in _TABS.values() if user.has_perm(tab.permission)), key=lambda t: t.order
    )
