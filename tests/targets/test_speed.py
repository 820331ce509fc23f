"""What makes the dashboard and target pages fast at 20,000 organisations, and keeps their numbers
exact: the stored credit-code flag (target R4), the stored series refreshed after every committed
change, and the dashboard workbook as a background export."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registry.models import Organisation, OrgType
from targets import metrics, tasks
from targets.models import RefreshRequest, Series
from tests.factories import OrganisationFactory, credit_code_for
from tests.imports.conftest import xlsx
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


# --- the stored series kept up to date after a change ------------------------------------------


def _r1_on_dashboard(client):
    response = client.get(reverse("targets:dashboard") + f"?as_of={AS_OF}")
    assert response.status_code == 200
    shown = re.search(r'data-testid="value-R1">([^<]+)<', response.content.decode()).group(1)
    return int(shown)


@pytest.mark.usefixtures("eager_tasks")
def test_a_committed_change_refreshes_the_series_once_per_transaction(
    client_for, leader, refresh, django_capture_on_commit_callbacks
):
    """Whatever writes (a form, an import, a bulk update, a delete), the commit asks for one
    refresh of the targets reading the tables written; the task (in-process here) recomputes
    them and the dashboard shows the change."""
    refresh()
    client = client_for(leader)
    assert _r1_on_dashboard(client) == 0
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        OrganisationFactory()
        OrganisationFactory()
        Organisation.objects.update(phone="0574-86000000")
    assert RefreshRequest.objects.count() == 0  # taken by the refresh
    assert _r1_on_dashboard(client) == 2
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.filter(pk=Organisation.objects.first().pk).update(
            dissolved_on=datetime.date(2019, 6, 1), status="deregistered"
        )
    assert _r1_on_dashboard(client) == 1
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.all().delete()
    assert _r1_on_dashboard(client) == 0


def test_a_change_only_to_what_no_target_reads_requests_nothing(
    staff, django_capture_on_commit_callbacks
):
    from zhenhai_so.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        Notification.objects.create(user=staff, kind="reminder", title="x")
    assert not RefreshRequest.objects.exists()


def test_a_burst_of_changes_queues_one_refresh(monkeypatch, django_capture_on_commit_callbacks):
    """With a broker, the first change of a burst queues the task a few seconds later; the
    others find it queued. Should the broker be down, the request stays for the sweeper."""
    queued = []
    RefreshRequest.objects.all().delete()
    monkeypatch.setattr(tasks.refresh_series, "apply_async", lambda **kw: queued.append(kw))
    cache.delete(tasks.QUEUED_KEY)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            OrganisationFactory()
    assert len(queued) == 1 and queued[0]["countdown"] == settings.TARGETS_REFRESH_DELAY
    assert RefreshRequest.objects.count() == 3
    assert tasks.refresh_series() > 0  # takes every waiting request at once
    assert not RefreshRequest.objects.exists()
    assert cache.get(tasks.QUEUED_KEY) is None


def test_the_sweeper_takes_requests_whose_task_was_lost(refresh):
    refresh()
    OrganisationFactory()
    RefreshRequest.objects.create(
        tables=["registry_organisation"],
        requested_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert tasks.refresh_pending() > 0
    assert not RefreshRequest.objects.exists()
    assert tasks.refresh_pending() == 0  # nothing waiting


def test_the_sweeper_computes_targets_never_computed(target_of):
    Series.objects.all().delete()
    tasks.refresh_pending()
    assert Series.objects.filter(target=target_of("R1"), township=None).exists()


def test_the_dashboard_says_when_its_figures_were_computed_and_that_changes_are_counted(
    client_for, leader, refresh
):
    refresh()
    RefreshRequest.objects.all().delete()
    client = client_for(leader)
    page = client.get(reverse("targets:dashboard")).content.decode()
    assert 'data-testid="computed-at"' in page
    assert 'data-testid="refreshing"' not in page
    RefreshRequest.objects.create(tables=["registry_organisation"], requested_at=timezone.now())
    page = client.get(reverse("targets:dashboard")).content.decode()
    assert 'data-testid="refreshing"' in page


def test_records_of_an_annual_target_are_those_of_its_running_year(target_of):
    from targets.progress import records_of

    result = records_of(target_of("R5"), as_of=AS_OF)
    assert result.value is None and result.records is not None
    assert result.records.query.where  # built, not counted


# --- the dashboard workbook ---------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_dashboard_workbook_is_a_background_export(
    client_for, leader, townships, refresh, django_capture_on_commit_callbacks
):
    OrganisationFactory()
    refresh()
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
