"""What makes the dashboard and target pages fast at 20,000 organisations, and keeps their numbers
exact: the stored credit-code flag (target R4), the cache of computed targets with its data
version, and the dashboard workbook as a background export."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import Organisation, OrgType, Township
from targets import metrics
from targets.models import Population
from tests.factories import OrganisationFactory, credit_code_for
from tests.imports.conftest import xlsx
from zhenhai_so import dataversion
from zhenhai_so.importing import get_kind, run_import
from zhenhai_so.models import Download

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2019, 12, 31)
# A code of the right shape whose GB 32100 check character is wrong.
_GOOD = credit_code_for(OrgType.SOCIAL_GROUP, 4242)
BAD_CODE = _GOOD[:-1] + ("0" if _GOOD[-1] != "0" else "1")


def _r4(target_of, township_id=None):
    return metrics.compute(target_of("R4"), as_of=AS_OF, township_id=township_id)


def _flags():
    return dict(Organisation.objects.values_list("name", "credit_code_valid"))


# --- the stored credit-code flag ---------------------------------------------------------------


def test_save_stores_whether_the_code_is_valid(target_of):
    good = OrganisationFactory(name="码正确")
    bad = OrganisationFactory(name="码错误")
    Organisation.objects.filter(pk=bad.pk).update(credit_code=BAD_CODE, credit_code_valid=True)
    bad.refresh_from_db()
    bad.save()  # an edit through the form or a service ends in save()
    filed = OrganisationFactory(name="备案", org_type=OrgType.COMMUNITY)
    assert _flags() == {"码正确": True, "码错误": False, "备案": False}
    result = _r4(target_of)  # the filed organisation is no legal SO
    assert (result.numerator, result.denominator, result.value) == (1, 2, 50)
    assert {o.name: o.meets for o in result.records} == {"码正确": True, "码错误": False}
    good.credit_code = BAD_CODE.replace(BAD_CODE[8:10], "MX")  # still invalid, another code
    good.save(update_fields=["credit_code"])  # the flag is written with the field
    assert _flags()["码正确"] is False
    assert filed.pk


def test_changing_the_type_rechecks_the_code():
    org = OrganisationFactory(name="类型变更")
    org.org_type = OrgType.FOUNDATION  # category 1 (social group) no longer agrees
    org.save(update_fields=["org_type"])
    assert _flags()["类型变更"] is False


def test_bulk_writes_set_the_flag():
    township = OrganisationFactory.township.function()
    made = Organisation.objects.bulk_create(
        [
            Organisation(
                name=name,
                credit_code=code,
                org_type=OrgType.SOCIAL_GROUP,
                registration_mode="direct",
                sector="charity",
                township=township,
                registered_on=datetime.date(2015, 1, 1),
            )
            for name, code in (
                ("批量好", credit_code_for("social_group", 77)),
                ("批量坏", BAD_CODE),
            )
        ]
    )
    assert _flags() == {"批量好": True, "批量坏": False}
    made[0].credit_code = BAD_CODE.replace(BAD_CODE[8:10], "MY")
    Organisation.objects.bulk_update(made[:1], ["credit_code"])
    assert _flags()["批量好"] is False


def test_imported_organisations_carry_the_flag(staff, township, target_of):
    row = {
        "统一社会信用代码": credit_code_for("social_group", 950001),
        "名称": "导入的协会",
        "类型": "社会团体",
        "登记方式": "直接登记",
        "业务领域": "公益慈善类",
        "所属镇街": township.name,
        "法定代表人": "李四",
        "成立日期": "2018-03-05",
        "状态": "正常",
    }
    plan = run_import(get_kind("organisations"), xlsx([row]), user=staff)
    assert plan.counts["new"] == 1, [str(e) for e in plan.errors]
    assert _flags() == {"导入的协会": True}
    assert _r4(target_of, township.pk).value == 100


def test_the_migration_fills_the_flag_of_existing_organisations():
    OrganisationFactory(name="旧数据好")
    bad = OrganisationFactory(name="旧数据坏")
    Organisation.objects.filter(pk=bad.pk).update(credit_code=BAD_CODE)
    Organisation.objects.update(credit_code_valid=False)  # as the added column starts
    migration = importlib.import_module("registry.migrations.0003_organisation_credit_code_valid")
    migration.fill_flags(apps, None)
    assert _flags() == {"旧数据好": True, "旧数据坏": False}


# --- computed targets kept until the data changes ---------------------------------------------


def _r1_on_dashboard(client):
    """R1 as the dashboard shows it (its figures' HTML is cached with the values)."""
    response = client.get(reverse("targets:dashboard") + f"?as_of={AS_OF}")
    assert response.status_code == 200
    shown = re.search(r'data-testid="value-R1">([^<]+)<', response.content.decode()).group(1)
    return int(shown)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_inside_a_transaction_nothing_is_cached(client_for, leader):
    assert not dataversion.usable()
    client = client_for(leader)
    url = reverse("targets:dashboard") + f"?as_of={AS_OF}"
    client.get(url)  # a request that renews the session (a write of its own) is not compared
    assert _queries(client, url) == _queries(client, url)


def test_cached_targets_are_read_back_and_replaced_after_every_kind_of_write(
    caching, client_for, leader
):
    client = client_for(leader)
    url = reverse("targets:dashboard") + f"?as_of={AS_OF}"
    OrganisationFactory()
    computed = _queries(client, url)
    assert _queries(client, url) < computed - 30  # every target from the cache
    assert _r1_on_dashboard(client) == 1
    org = OrganisationFactory()  # save()
    assert _r1_on_dashboard(client) == 2
    Organisation.objects.filter(pk=org.pk).update(dissolved_on=datetime.date(2019, 6, 1))
    assert _r1_on_dashboard(client) == 1  # QuerySet.update()
    Organisation.objects.bulk_create(
        [
            Organisation(
                name="批量",
                credit_code=credit_code_for("social_group", 991),
                org_type=OrgType.SOCIAL_GROUP,
                registration_mode="direct",
                sector="charity",
                township=org.township,
                registered_on=datetime.date(2015, 1, 1),
            )
        ]
    )
    assert _r1_on_dashboard(client) == 2  # bulk_create
    Organisation.objects.filter(name="批量").delete()
    assert _r1_on_dashboard(client) == 1  # delete


def test_the_dashboards_figures_are_served_as_cached_html(
    caching, client_for, leader, township, other_township
):
    """Once computed, the dashboard's figures (cards, counts, table) come from the cache as
    HTML: no target is computed and no template of theirs rendered; the page around them (the
    form, the user's menu) is still made for the request, and each township, date and language
    has its own entry."""
    OrganisationFactory(township=township)
    client = client_for(leader)
    url = reverse("targets:dashboard")
    first = client.get(url, {"as_of": AS_OF, "junk": "1"})
    assert "progress" in first.context  # computed
    again = client.get(url, {"as_of": AS_OF})
    assert "progress" not in again.context  # the HTML was taken from the cache
    figures = lambda response: re.search(  # noqa: E731
        r'<div class="row g-3 mb-3">.*</table>', response.content.decode(), re.S
    ).group(0)
    assert figures(again) == figures(first)
    # links carry the date (and township) asked for, whatever else the address held
    assert f"?as_of={AS_OF}" in figures(first) and "junk" not in figures(first)
    assert 'data-testid="value-R1">1<' in figures(again)
    other = client.get(url, {"as_of": AS_OF, "township": other_township.pk})
    assert "progress" in other.context
    assert 'data-testid="value-R1">0<' in figures(other)
    assert f"township={other_township.pk}" in figures(other)
    client.post(reverse("set_language"), {"language": "en"})
    english = client.get(url, {"as_of": AS_OF})
    assert "progress" in english.context and "Target value" in figures(english)
    OrganisationFactory(township=township)  # a change: computed afresh, in every language
    assert 'data-testid="value-R1">2<' in figures(client.get(url, {"as_of": AS_OF}))


def test_writes_elsewhere_keep_the_cache(caching, client_for, leader):
    client = client_for(leader)
    url = reverse("targets:dashboard") + f"?as_of={AS_OF}"
    _queries(client, url)
    version = dataversion.data_version()
    Download.objects.create(user=leader, kind="targets.views.dashboard_export", title="x")
    assert dataversion.data_version() == version  # not an input of any metric
    Population.objects.update(source="x")  # a table the metrics read
    assert dataversion.data_version() != version
    version = dataversion.data_version()
    from django.utils import timezone

    from targets.models import Snapshot, Target

    Snapshot.objects.create(
        target=Target.objects.first(), as_of=AS_OF, status="no_data", computed_at=timezone.now()
    )
    assert dataversion.data_version() == version  # stored snapshots are no input of the metrics


def test_the_version_changes_again_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        OrganisationFactory()
        OrganisationFactory()
    assert callbacks.count(dataversion.bump) == 1  # once per transaction, not per statement


def test_target_page_from_the_cache_lists_the_same_records(caching, client_for, leader, target_of):
    client = client_for(leader)
    OrganisationFactory(name="甲")
    bad = OrganisationFactory(name="乙")
    Organisation.objects.filter(pk=bad.pk).update(credit_code=BAD_CODE, credit_code_valid=False)
    url = reverse("targets:target_detail", args=[target_of("R4").pk]) + f"?as_of={AS_OF}"
    first = client.get(url)
    again = client.get(url)
    for response in (first, again):
        assert response.context["progress"].value == 50
        assert response.context["page"].paginator.count == 2  # known, or counted
        rows = response.context["rows"]
        assert {row[0]: meets for row, _url, meets in rows} == {"甲": True, "乙": False}


def test_records_of_an_annual_target_are_those_of_its_running_year(target_of):
    from targets.progress import records_of

    result = records_of(target_of("R5"), as_of=AS_OF)
    assert result.value is None and result.records is not None
    assert result.records.query.where  # built, not counted


# --- the dashboard workbook ---------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_dashboard_workbook_is_a_background_export(
    client_for, leader, townships, django_capture_on_commit_callbacks
):
    OrganisationFactory()
    client = client_for(leader)
    with django_capture_on_commit_callbacks() as queued:
        response = client.get(reverse("targets:dashboard") + f"?as_of={AS_OF}&export=xlsx")
    download = Download.objects.get(user=leader)
    assert response.status_code == 302
    assert response.url == reverse("jobs:download_detail", kwargs={"pk": download.pk})
    assert b'data-testid="progress"' in client.get(response.url).content  # waiting: a bar
    for callback in queued:
        callback()  # the transaction commits: the task runs (eagerly in tests)
    download.refresh_from_db()
    assert download.state == Download.State.DONE, download.error
    assert download.rows_done == download.rows_total == 38 * (1 + len(townships))
    workbook = load_workbook(download.file.path, read_only=True)
    assert workbook.sheetnames[0].endswith("2019-12-31")
    assert len(workbook.sheetnames) == 1 + len(townships)
    first = list(workbook.worksheets[0].iter_rows(values_only=True))
    r1 = next(row for row in first if row[0] == "R1")
    assert r1[3] == 1


def test_township_office_workbook_holds_its_own_township_only(
    township_user, township, other_township
):
    from targets.models import Plan
    from targets.views import dashboard_export

    plan = Plan.objects.get(code="zhenhai-2018-2020")
    export = dashboard_export(
        user=township_user,
        params={"plan": plan.pk, "as_of": AS_OF.isoformat(), "township": other_township.pk},
    )
    assert [s.title for s in export.sheets] == [f"{township.name} 2019-12-31"]


def test_the_warm_up_task_leaves_the_opening_dashboard_computed(caching, client_for, leader):
    from targets.tasks import warm_dashboard

    client = client_for(leader)
    url = reverse("targets:dashboard")  # the opening view: the default date, district-wide
    _queries(client, url)
    OrganisationFactory()  # a change: every result is out of date
    cold = _queries(client, url)
    OrganisationFactory()
    assert warm_dashboard() == 1 + Township.objects.count()
    assert _queries(client, url) < cold - 30  # every target already computed
