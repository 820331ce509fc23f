"""Every URL pattern × every role: the status each gets (SECURITY.md items 9 and 10).

``ACCESS`` must name every URL of the portal: a URL it does not know makes
``test_every_url_is_in_the_access_table`` fail, so each new page states who may open it.
Statuses are for GET. ``ANON`` is a visitor who is not logged in.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_objects import OBJECTS
from zhenhai_so.roles import Role

ANON = "anonymous"
STAFF, TOWNSHIP, LEADER = Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICE, Role.LEADER
SYSADMIN, SECADMIN, AUDITOR = Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN
ALL_ROLES = (STAFF, TOWNSHIP, LEADER, SYSADMIN, SECADMIN, AUDITOR)
LOGIN = "login"  # a 302 to the login page


def only(*roles, status=200, public=False):
    """Status per role: ``status`` for the roles named, 403 for the others."""
    table = {role: (status if role in roles else 403) for role in ALL_ROLES}
    table[ANON] = status if public else LOGIN
    return table


def everyone(status=200, anon=LOGIN):
    return {**dict.fromkeys(ALL_ROLES, status), ANON: anon}


REGISTER_READERS = (STAFF, TOWNSHIP, LEADER)
REFERENCE_READERS = (STAFF, TOWNSHIP, LEADER, SYSADMIN)

ACCESS = {
    "home": everyone(302),
    "healthz": everyone(200, anon=200),
    "login": {**dict.fromkeys(ALL_ROLES, 302), ANON: 200},
    "logout": everyone(405),
    "password_change": everyone(200),
    "set_language": everyone(302, anon=302),  # GET only redirects back; POST switches
    "notifications:list": everyone(200),
    "notifications:read": everyone(405),
    # Background work: a download or import job is its owner's alone (the walk's belong to the
    # township user), so everyone else gets 404; the walk's download is still queued, so even
    # its owner gets 404 for the file.
    "jobs:download_list": everyone(200),
    "jobs:download_detail": {**everyone(404), TOWNSHIP: 200},
    "jobs:download_progress": {**everyone(404), TOWNSHIP: 200},
    "jobs:download_file": everyone(404),
    "jobs:import_progress": {**everyone(404), TOWNSHIP: 200},
    "jobs:schedule": only(SYSADMIN),
    "users:list": only(SYSADMIN, SECADMIN),
    "users:create": only(SYSADMIN, SECADMIN),
    "users:edit": only(SYSADMIN, SECADMIN),
    "users:reset_password": only(SYSADMIN, SECADMIN, status=405),
    "users:unlock": only(SYSADMIN, SECADMIN, status=405),
    "users:reset_2fa": only(SYSADMIN, SECADMIN, status=405),
    "users:requests": only(SYSADMIN, SECADMIN),
    "users:request_approve": only(SECADMIN, status=405),
    "users:request_reject": only(SECADMIN, status=405),
    "two_factor_setup": everyone(200),
    "two_factor_verify": everyone(302),  # no authenticator yet: on to the setup page
    "two_factor_recovery_codes": everyone(200),
    "audit:list": only(AUDITOR),
    "registry:overview": only(*REGISTER_READERS),
    "registry:township_list": only(*REFERENCE_READERS),
    "registry:township_detail": only(*REFERENCE_READERS),
    "registry:organisation_list": only(*REGISTER_READERS),
    "registry:organisation_create": only(STAFF, TOWNSHIP),
    "registry:organisation_detail": only(*REGISTER_READERS),
    # The walk's organisation is a social group: township offices edit only filed ones.
    "registry:organisation_edit": only(STAFF),
    "registry:annual_report_edit": only(STAFF),
    "registry:inspection_create": only(STAFF),
    "registry:list_entry_create": only(STAFF),
    "registry:list_entry_remove": only(STAFF),
    "registry:application_create_for": only(STAFF),
    "registry:application_list": only(*REGISTER_READERS),
    "registry:application_create": only(STAFF),
    "registry:application_detail": only(*REGISTER_READERS),
    "registry:application_edit": only(STAFF),
    "registry:application_action": only(STAFF, status=405),
    "registry:annual_report_board": only(*REGISTER_READERS),
    "registry:annual_report_list_overdue": only(STAFF, status=405),
    "registry:inspection_list": only(*REGISTER_READERS),
    "registry:spot_check_list": only(*REGISTER_READERS),
    "registry:spot_check_create": only(STAFF),
    "registry:spot_check_detail": only(*REGISTER_READERS),
    "registry:spot_check_draw": only(STAFF, status=405),
    "registry:spot_check_result": only(STAFF),
    "registry:inspector_list": only(*REGISTER_READERS),
    "registry:inspector_edit": only(STAFF),
    "registry:list_entry_list": only(*REGISTER_READERS),
    # targets: township offices are redirected to their own township's target page.
    "targets:dashboard": only(*REGISTER_READERS),
    "targets:target_detail": {**only(STAFF, LEADER), TOWNSHIP: 302},
    "targets:target_township": only(*REGISTER_READERS),
    "targets:milestone_edit": only(STAFF),
    "targets:report_board": only(*REGISTER_READERS),
    "targets:report_start": only(TOWNSHIP, status=405),
    "targets:report_detail": only(*REGISTER_READERS),
    "targets:report_edit": only(TOWNSHIP),
    "targets:report_review": only(STAFF, status=405),
    # Imports: the walk's kind is "organisations", which township offices may import (filed
    # ones of their own township, forced by the importer), so the kind-wide pages answer them
    # 200 and are not township records (IMPORT_KIND_PAGES below). The job pages are walked with
    # a job of the township user: a job is its uploader's alone, so staff get 404 there.
    "imports:index": only(STAFF, TOWNSHIP, LEADER),
    "imports:start": only(STAFF, TOWNSHIP),
    "imports:export": only(STAFF, TOWNSHIP, LEADER),
    "imports:job": {**only(TOWNSHIP), STAFF: 404},
    "imports:apply": only(STAFF, TOWNSHIP, status=405),
    "imports:errors": {**only(TOWNSHIP), STAFF: 404},
    "procurement:project_list": only(*REGISTER_READERS),
    "procurement:project_create": only(STAFF),
    "procurement:project_detail": only(*REGISTER_READERS),
    "procurement:project_edit": only(STAFF),
    "procurement:project_action": only(STAFF, status=405),
    "procurement:evaluation_edit": only(STAFF),
    # The walk's finished project has an evaluation without a report file.
    "procurement:evaluation_report": only(*REGISTER_READERS, status=404),
    "procurement:totals": only(*REGISTER_READERS),
    "procurement:catalogue": only(*REGISTER_READERS),
    "procurement:award_list": only(*REGISTER_READERS),
    "procurement:brand_list": only(*REGISTER_READERS),
    "partybuilding:coverage": only(*REGISTER_READERS),
    "partybuilding:party_organisation_list": only(*REGISTER_READERS),
    "partybuilding:instructor_list": only(*REGISTER_READERS),
    "partybuilding:site_list": only(*REGISTER_READERS),
    "partybuilding:centre_list": only(*REGISTER_READERS),
    "partybuilding:training_list": only(*REGISTER_READERS),
    "partybuilding:training_detail": only(*REGISTER_READERS),
    # Procurement and party-building records are kept by bureau staff only: township offices
    # and leaders hold only view_*/export_* permissions there.
    "procurement:catalogue_item_create": only(STAFF),
    "procurement:catalogue_item_edit": only(STAFF),
    "procurement:catalogue_item_delete": only(STAFF),
    "procurement:recommended_create": only(STAFF),
    "procurement:recommended_edit": only(STAFF),
    "procurement:recommended_delete": only(STAFF),
    "procurement:award_create": only(STAFF),
    "procurement:award_edit": only(STAFF),
    "procurement:award_delete": only(STAFF),
    "procurement:brand_create": only(STAFF),
    "procurement:brand_edit": only(STAFF),
    "procurement:brand_delete": only(STAFF),
    "partybuilding:party_organisation_create": only(STAFF),
    "partybuilding:party_organisation_edit": only(STAFF),
    "partybuilding:instructor_assign": only(STAFF),
    "partybuilding:instructor_end": only(STAFF),
    "partybuilding:site_create": only(STAFF),
    "partybuilding:site_edit": only(STAFF),
    "partybuilding:site_delete": only(STAFF),
    "partybuilding:centre_create": only(STAFF),
    "partybuilding:centre_edit": only(STAFF),
    "partybuilding:training_create": only(STAFF),
    "partybuilding:training_edit": only(STAFF),
    "partybuilding:training_delete": only(STAFF),
    "partybuilding:enrolment_add": only(STAFF, status=405),
    "partybuilding:enrolment_remove": only(STAFF, status=405),
    "evaluation:evaluation_list": only(*REGISTER_READERS),
    "evaluation:evaluation_create": only(STAFF),
    "evaluation:evaluation_detail": only(*REGISTER_READERS),
    "evaluation:evaluation_scores": only(STAFF),
    "evaluation:evaluation_action": only(STAFF, status=405),
    "evaluation:review_request": only(STAFF, status=405),
    "evaluation:review_decide": only(STAFF, status=405),
    "evaluation:certificate": only(*REGISTER_READERS),
    "evaluation:distribution": only(*REGISTER_READERS),
    "evaluation:expiring": only(*REGISTER_READERS),
    "evaluation:never_evaluated": only(*REGISTER_READERS),
    "evaluation:system_list": only(*REFERENCE_READERS),
    # Public disclosure: anyone, signed in or not; no township owns these pages.
    "disclosure:search": everyone(200, anon=200),
    "disclosure:organisation": everyone(200, anon=200),
    "disclosure:list_entries": everyone(200, anon=200),
    "disclosure:inspections": everyone(200, anon=200),
    "disclosure:spot_check_draws": everyone(200, anon=200),
    "disclosure:spot_check_draw": everyone(200, anon=200),
    "disclosure:projects": everyone(200, anon=200),
    "disclosure:awards": everyone(200, anon=200),
    "disclosure:brands": everyone(200, anon=200),
}
# Pages that take a kind, not a record: the same for every township.
IMPORT_KIND_PAGES = {"imports:start", "imports:export"}


def _names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _names(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_url_is_in_the_access_table():
    names = set(_names())
    assert names - set(ACCESS) == set(), "URLs without an access rule"
    assert set(ACCESS) - names == set(), "access rules for URLs that no longer exist"


def _url(name, objects):
    kwargs = OBJECTS.get(name, lambda o: {})(objects)
    return reverse(name, kwargs=kwargs)


CASES = [(name, role) for name in sorted(ACCESS) for role in (ANON, *ALL_ROLES)]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_status_of_every_url_for_every_role(name, role, client, role_users, access_objects):
    if role != ANON:
        client.force_login(role_users[role])
    response = client.get(_url(name, access_objects))
    expected = ACCESS[name][role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


OWNED = [
    name
    for name in sorted(ACCESS)
    if name in OBJECTS
    and ACCESS[name][TOWNSHIP] == 200
    and ACCESS[name][ANON] != 200  # public pages show every township's records to everyone
    and name not in IMPORT_KIND_PAGES
]


@pytest.mark.parametrize("name", OWNED)
def test_township_user_gets_404_for_another_townships_records(
    name, client, other_township_user, access_objects
):
    client.force_login(other_township_user)
    assert client.get(_url(name, access_objects)).status_code == 404


H1 = re.compile(rb"<h1[ >]")


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_every_page_has_exactly_one_h1(name, client, role_users, access_objects):
    for role in ALL_ROLES:
        if ACCESS[name][role] != 200:
            continue
        client.force_login(role_users[role])
        response = client.get(_url(name, access_objects))
        if response.get("Content-Type", "").startswith("text/html"):
            assert len(H1.findall(response.content)) == 1, f"{name} as {role}"
    if ACCESS[name][ANON] == 200:
        client.logout()
        response = client.get(_url(name, access_objects))
        if response.get("Content-Type", "").startswith("text/html"):
            assert len(H1.findall(response.content)) == 1, f"{name} as anonymous"
