"""The public pages' content is cached (disclosure/caching.py): a second visit runs only the
query for the cache key; any audited change (form, service, import) shows at once, an unaudited
one when the entry expires; each language, filter and visitor's header stay their own."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from registry.models import ListEntry, Organisation, OrgType
from registry.services import list_entry_remove
from tests.factories import OrganisationFactory, credit_code_for
from tests.imports.conftest import ORG_HEADERS, xlsx

pytestmark = pytest.mark.django_db


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _names(response):
    return [o.name for o in response.context["page"]]


def test_a_second_visit_runs_only_the_query_for_the_cache_key(client, django_assert_num_queries):
    OrganisationFactory(name="缓存协会")
    url = reverse("disclosure:search")
    first = client.get(url, {"q": "缓存"})
    # the newest audit entry; the page's rows, count and township choices come from the cache
    with django_assert_num_queries(1):
        second = client.get(url, {"q": "缓存"})
    assert "缓存协会" in second.content.decode()
    # the same page, but for the CSRF token of the language switch (masked anew each time)
    assert CSRF.sub("", first.content.decode()) == CSRF.sub("", second.content.decode())


def test_a_profile_visited_again_reads_only_the_organisation_and_the_key(
    client, django_assert_num_queries
):
    organisation = OrganisationFactory(name="缓存档案协会")
    url = reverse("disclosure:organisation", args=[organisation.pk])
    client.get(url)
    # the organisation (title, 404 for an unknown id), the newest audit entry
    with django_assert_num_queries(2):
        response = client.get(url)
    assert "缓存档案协会" in response.content.decode()


def test_a_removal_from_the_blacklist_shows_at_once(client, staff):
    organisation = OrganisationFactory(name="移出协会")
    entry = ListEntry.objects.create(
        organisation=organisation,
        kind="serious",
        reason="two_years",
        listed_on=datetime.date(2019, 5, 1),
    )
    url = reverse("disclosure:list_entries", args=["serious"])
    assert "移出协会" in client.get(url).content.decode()
    list_entry_remove(entry=entry, removed_on=datetime.date.today(), reason="已整改", actor=staff)
    assert "移出协会" not in client.get(url).content.decode()


def test_an_imported_organisation_shows_at_once(client, township, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    url = reverse("disclosure:search")
    assert _names(client.get(url, {"q": "导入"})) == []
    row = {
        "统一社会信用代码": credit_code_for(OrgType.SOCIAL_GROUP, 912345),
        "名称": "镇海区导入公开协会",
        "类型": "社会团体",
        "登记方式": "直接登记",
        "业务领域": "公益慈善类",
        "所属镇街": township.name,
        "法定代表人": "李四",
        "成立日期": "2018-03-05",
        "状态": "正常",
    }
    path = tmp_path / "organisations.xlsx"
    path.write_bytes(xlsx([row], ORG_HEADERS).getvalue())
    call_command("import_data", "organisations", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _names(client.get(url, {"q": "导入"})) == ["镇海区导入公开协会"]


def test_an_unaudited_change_shows_when_the_entry_expires(client, settings, time_machine):
    settings.DISCLOSURE_CACHE_SECONDS = 300
    time_machine.move_to("2020-09-01 10:00:00+08:00", tick=False)
    organisation = OrganisationFactory(name="旧名称协会")
    url = reverse("disclosure:organisation", args=[organisation.pk])
    client.get(url)
    # A raw update writes no audit entry (the demo and benchmark loaders work like this).
    Organisation.objects.filter(pk=organisation.pk).update(address="新地址路1号")
    assert "新地址路1号" not in client.get(url).content.decode()
    time_machine.move_to("2020-09-01 10:05:01+08:00", tick=False)
    assert "新地址路1号" in client.get(url).content.decode()


def test_zero_seconds_turns_the_cache_off(client, settings):
    settings.DISCLOSURE_CACHE_SECONDS = 0
    organisation = OrganisationFactory()
    url = reverse("disclosure:organisation", args=[organisation.pk])
    client.get(url)
    Organisation.objects.filter(pk=organisation.pk).update(address="立即可见路2号")
    assert "立即可见路2号" in client.get(url).content.decode()


def test_each_language_has_its_own_entry(client):
    OrganisationFactory(org_type=OrgType.SOCIAL_GROUP)
    url = reverse("disclosure:search")
    with translation.override("en"):
        english = str(OrgType.SOCIAL_GROUP.label)
    with translation.override("zh-hans"):
        chinese = str(OrgType.SOCIAL_GROUP.label)
    assert english != chinese
    assert chinese in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english in html and chinese not in html


def test_each_visitor_gets_a_live_header_with_their_own_csrf_token(client):
    """The language switch (a POST with a CSRF token) sits outside the cached content, so a
    cached page still carries the visitor's own token and the switch works."""
    url = reverse("disclosure:search")
    client.get(url)  # fills the cache
    visitor = Client(enforce_csrf_checks=True)
    html = visitor.get(url).content.decode()
    token = CSRF.search(html).group(1)
    response = visitor.post(
        reverse("set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
