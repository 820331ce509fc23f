"""Accessibility, the automated part of WCAG 2.2 AA (SECURITY.md item 26): axe-core (shipped in
the axe-playwright-python package, nothing downloaded) runs in Debian's chromium on the main
page of each role, in Chinese, and no serious or critical violation is allowed. What axe cannot
judge (keyboard order, meaningful alternatives, plain language) is not claimed here."""

import io

import pytest
from django.urls import reverse

from tests.e2e.conftest import journey  # noqa: F401  (a fixture)
from tests.factories import TEST_PASSWORD, OrganisationFactory, ProjectFactory, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

# Each role's main pages (URL names, with a query after "?"), as that role sees them.
PAGES = {
    None: ["login", "disclosure:search"],
    Role.BUREAU_STAFF: [
        "registry:overview",
        "registry:organisation_list",
        "registry:organisation_detail",
        "registry:organisation_create",
        "registry:application_list",
        "registry:annual_report_board",
        "evaluation:evaluation_list",
        "procurement:project_list",
        "partybuilding:coverage",
        "imports:index",
        "notifications:list",
        "jobs:download_list",
        "password_change",
    ],
    Role.LEADER: ["targets:dashboard"],
    Role.SYSTEM_ADMIN: ["users:list", "users:create"],
    Role.AUDIT_ADMIN: ["audit:list", "audit:list?log=events"],
}
WITH_ORGANISATION = {"registry:organisation_detail"}


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError as error:  # pragma: no cover - dev extra missing
        from tests.conftest import require_service

        require_service("axe-playwright-python", str(error))
    return Axe()


def _blocking(results) -> list[str]:
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            nodes = []
            for node in violation["nodes"][:3]:
                why = (node.get("failureSummary") or "").splitlines()[-1:]
                nodes.append(f"{' '.join(map(str, node['target']))} {why}")
            found.append(f"{violation['id']} ({violation['impact']}): {nodes}")
    return found


def test_main_pages_have_no_serious_accessibility_violations(journey):  # noqa: F811
    from django.core.management import call_command

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    org = OrganisationFactory(name="无障碍测试协会")
    ProjectFactory(organisation=org)
    axe = _axe()
    problems = {}
    for role, pages in PAGES.items():
        if role is not None:
            user = make_user(f"a11y_{role}", role)
            journey.login(user.username, TEST_PASSWORD)
        for page in pages:
            name, _sep, query = page.partition("?")
            kwargs = {"pk": org.pk} if name in WITH_ORGANISATION else None
            path = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
            journey.go(path)
            results = axe.run(journey.page, options={"runOnly": WCAG_AA})
            if found := _blocking(results):
                problems[f"{role or 'anonymous'} {path}"] = found
        if role is not None:
            journey.logout()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
