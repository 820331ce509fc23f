"""The base layout (issue 2): a top bar with the user, role and township; a side menu by role
that offers only pages the role may open; breadcrumbs, messages and a footer; Chinese by default,
English on request; Bootstrap and ECharts vendored at the versions their README names, served by
whitenoise."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from zhenhai_so.roles import Role

pytestmark = pytest.mark.django_db

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


def _current_user(html: str) -> str:
    match = re.search(r'data-testid="current-user">(.*?)</span>', html, re.S)
    assert match, "no user in the top bar"
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()


def test_top_bar_shows_a_township_user_with_role_and_township(client_for, township_user):
    html = client_for(township_user).get(reverse("registry:overview")).content.decode()
    shown = _current_user(html)
    with translation.override("zh-hans"):
        role = str(Role(township_user.role).label)
    assert township_user.display_name in shown
    assert role in shown
    assert township_user.township.name in shown


def test_top_bar_of_a_district_user_names_no_township(client_for, staff, townships):
    shown = _current_user(client_for(staff).get(reverse("registry:overview")).content.decode())
    assert staff.display_name in shown
    assert not any(t.name in shown for t in townships)


def _menu_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="col-md-3[^"]*sidebar.*?</nav>', html, re.S)
    assert nav, "no side menu"
    return re.findall(r'href="([^"]+)"', nav.group(0))


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_side_menu_offers_only_pages_the_role_may_open(role, client, role_users):
    user = role_users[role]
    client.force_login(user)
    start = client.get(reverse("home"), follow=True)
    assert start.status_code == 200
    links = _menu_links(start.content.decode())
    assert links, f"{role} has an empty menu"
    refused = {url: client.get(url).status_code for url in links}
    assert {url: code for url, code in refused.items() if code != 200} == {}


def test_the_menus_differ_by_role(client, role_users):
    menus = {}
    for role, user in role_users.items():
        client.force_login(user)
        menus[role] = set(_menu_links(client.get(reverse("home"), follow=True).content.decode()))
    users_page = reverse("users:list")
    assert users_page in menus[Role.SYSTEM_ADMIN]
    assert users_page not in menus[Role.BUREAU_STAFF] | menus[Role.TOWNSHIP_OFFICE]
    assert reverse("audit:list") in menus[Role.AUDIT_ADMIN]
    assert reverse("registry:organisation_list") not in menus[Role.AUDIT_ADMIN]
    assert reverse("registry:organisation_list") in menus[Role.LEADER]


def test_pages_have_breadcrumbs_messages_and_a_footer(client, sysadmin, township):
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:create"),
        {
            "username": "layout_probe",
            "full_name": "版式",
            "role": Role.LEADER,
            "township": "",
            "email": "",
            "phone": "",
            "password1": "Another-Pass-42",
            "password2": "Another-Pass-42",
        },
        follow=True,
    )
    html = response.content.decode()
    assert re.search(r'<ol class="breadcrumb">\s*<li class="breadcrumb-item"><a href="/"', html)
    # a new account is a request a security administrator approves
    alert = re.search(r'<div class="alert alert-info[^>]*>(.*?)</div>', html, re.S)
    assert alert and "layout_probe" in alert.group(1)
    assert re.search(r"<footer\b", html)


def test_chinese_by_default_and_english_on_request(client):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-CN">' in html
    with translation.override("zh-hans"):
        chinese = translation.gettext("Log in")
    assert chinese != "Log in" and chinese in html
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html and "Log in" in html


def _readme_versions() -> dict[str, str]:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| ([A-Za-z ]+?) \| (\d+\.\d+\.\d+) \|", readme, re.M))


def test_vendored_libraries_are_the_versions_their_readme_names():
    versions = _readme_versions()
    assert set(versions) == {"Bootstrap", "Bootstrap Icons", "Apache ECharts", "htmx"}
    files = {
        "Bootstrap": ("bootstrap/bootstrap.min.css", r"Bootstrap\s+v{}"),
        "Bootstrap Icons": ("bootstrap-icons/bootstrap-icons.min.css", r"Bootstrap Icons v{}"),
        "Apache ECharts": ("echarts/echarts.min.js", r'version:"{}"'),
        "htmx": ("htmx/htmx.min.js", r'version:"{}"'),
    }
    for library, (path, pattern) in files.items():
        text = (VENDOR / path).read_text(encoding="utf-8", errors="replace")
        assert re.search(pattern.format(re.escape(versions[library])), text), library
    assert (VENDOR / "bootstrap" / "bootstrap.bundle.min.js").exists()


def test_whitenoise_serves_the_collected_static_files(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--no-input", verbosity=0)
    # whitenoise indexes STATIC_ROOT when the middleware is built: a new client builds it
    response = Client().get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    assert "whitenoise" in " ".join(settings.MIDDLEWARE).lower()
    body = b"".join(response.streaming_content)
    assert body == (VENDOR / "echarts" / "echarts.min.js").read_bytes()


def test_the_side_menu_marks_the_current_page_and_speaks_the_page_language(client, staff):
    """The menu's HTML is built once per set of entries, page and language (zhenhai_so.menu):
    the current entry is marked on each page, and the labels follow the language."""
    client.force_login(staff)
    organisations = reverse("registry:organisation_list")
    for url, other in (
        (organisations, reverse("registry:overview")),
        (reverse("registry:overview"), organisations),
    ):
        html = client.get(url).content.decode()
        nav = re.search(r'<nav class="col-md-3[^"]*sidebar.*?</nav>', html, re.S).group(0)
        assert re.search(
            rf'class="nav-link active" href="{re.escape(url)}" aria-current="page"', nav
        )
        assert re.search(rf'class="nav-link" href="{re.escape(other)}">', nav)
        assert nav.count('aria-current="page"') == 1
    chinese = client.get(organisations).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(organisations).content.decode()
    with translation.override("zh-hans"):
        assert str(translation.gettext("Organisations")) != "Organisations"
        zh_label = translation.gettext("Main menu")
    assert f'aria-label="{zh_label}"' in chinese
    assert 'aria-label="Main menu"' in english


@pytest.mark.parametrize("url_name", ["registry:organisation_list", "registry:list_entry_list"])
def test_an_open_list_filter_reads_all(client, staff, url_name):
    """Every select of a list's filter offers "全部" (All) for "not filtered", not django-filter's
    "---------" or "未知" (Unknown)."""
    client.force_login(staff)
    html = client.get(reverse(url_name)).content.decode()
    form = re.search(r'<form method="get" class="filter-form.*?</form>', html, re.S).group(0)
    selects = re.findall(r"<select.*?</select>", form, re.S)
    assert selects
    for select in selects:
        first = re.search(r"<option[^>]*>(.*?)</option>", select, re.S).group(1)
        assert first == "全部", select[:200]
    assert "---------" not in form
