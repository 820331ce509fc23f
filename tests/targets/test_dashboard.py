"""The dashboard and target pages: constant query counts, township scoping, exports, the
``target_progress`` JSON (DESIGN.md contract 5) and idempotent snapshots."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import OrgType
from targets import services
from targets.models import Snapshot, Status
from tests.factories import AnnualReportFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
AS_OF = "2019-12-31"


def _organisations(n, townships):
    for i in range(n):
        org = OrganisationFactory(
            township=townships[i % len(townships)],
            org_type=[OrgType.SOCIAL_GROUP, OrgType.PRIVATE_NON_ENTERPRISE][i % 2],
        )
        AnnualReportFactory(organisation=org, year=2018, has_finance_system=i % 3 == 0)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_organisations(
    client_for, leader, townships, django_assert_max_num_queries
):
    client = client_for(leader)
    url = reverse("targets:dashboard") + f"?as_of={AS_OF}"
    _organisations(10, townships)
    small = _count(client, url)
    _organisations(40, townships)
    # Session and user, the plan, per target its metric (annual targets once per started year,
    # others also at the baseline date), the snapshots for the sparklines, the spending headline.
    with django_assert_max_num_queries(100):
        assert client.get(url).status_code == 200
    assert _count(client, url) == small


def test_target_page_query_count_does_not_grow_with_organisations(
    client_for, leader, townships, target_of, django_assert_max_num_queries
):
    client = client_for(leader)
    url = reverse("targets:target_detail", args=[target_of("S3").pk]) + f"?as_of={AS_OF}"
    _organisations(10, townships)
    small = _count(client, url)
    _organisations(40, townships)
    # The target at the date and baseline, at each past quarter end (no snapshots stored), for
    # each township, and one page of its records.
    with django_assert_max_num_queries(80):
        response = client.get(url)
    assert response.context["progress"].denominator == 50
    assert _count(client, url) == small


def test_dashboard_shows_the_numbers_of_target_progress(client_for, leader, townships):
    _organisations(6, townships)
    response = client_for(leader).get(reverse("targets:dashboard") + f"?as_of={AS_OF}")
    out = io.StringIO()
    call_command("target_progress", "--as-of", AS_OF, "--json", stdout=out)
    rows = {row["code"]: row for row in json.loads(out.getvalue())}
    shown = {p.target.code: p for p in response.context["progress"]}
    assert set(rows) == set(shown)
    for code, row in rows.items():
        value = shown[code].value
        assert row["value"] == (None if value is None else round(float(value), 4)), code
        assert row["status"] == shown[code].status, code


def test_target_progress_json_shape():
    out = io.StringIO()
    call_command("target_progress", "--as-of", AS_OF, "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 38
    keys = {"code", "title", "value", "numerator", "denominator", "target", "comparator",
            "deadline", "status"}  # fmt: skip
    for row in rows:
        assert keys <= set(row)
        assert ("years" in row) == (row["code"] in {"R3", "R5", "P6", "P7", "P8", "C8", "B1",
                                                     "S7", "S9", "G2"})  # fmt: skip
    b2 = next(r for r in rows if r["code"] == "B2")
    assert b2["target"] == [3.0, 6.0]


def test_target_progress_for_one_township(township):
    out = io.StringIO()
    call_command("target_progress", "--township", township.code, "--json", stdout=out)
    assert json.loads(out.getvalue())[0]["code"] == "R1"


def test_township_user_sees_own_township_and_404_for_another(
    client_for, township_user, township, other_township, target_of
):
    client = client_for(township_user)
    response = client.get(reverse("targets:dashboard"))
    assert response.status_code == 200
    assert response.context["township"] == township
    assert (
        client.get(reverse("targets:dashboard") + f"?township={other_township.pk}").status_code
        == 404
    )
    target = target_of("S3")
    other = reverse("targets:target_township", args=[target.pk, other_township.pk])
    assert client.get(other).status_code == 404
    own = client.get(reverse("targets:target_detail", args=[target.pk]))
    assert own.status_code == 302 and f"/townships/{township.pk}/" in own.url


def test_ended_plan_opens_on_its_last_day(client_for, leader):
    response = client_for(leader).get(reverse("targets:dashboard"))
    assert response.context["as_of"] == datetime.date(2020, 12, 31)
    assert response.context["ended"]


def test_exports_for_leaders_not_for_township_offices(client_for, leader, township_user, target_of):
    client = client_for(leader)
    response = client.get(reverse("targets:dashboard") + f"?as_of={AS_OF}&export=xlsx")
    assert response.status_code == 302  # a background export (tests/targets/test_speed.py)
    assert response.url.startswith(reverse("jobs:download_list"))
    detail = reverse("targets:target_detail", args=[target_of("R1").pk])
    assert client.get(detail + "?export=xlsx").status_code == 200
    assert (
        client_for(township_user).get(reverse("targets:dashboard") + "?export=xlsx").status_code
        == 403
    )


def test_snapshots_are_idempotent(plan, townships):
    _organisations(3, townships)
    day = datetime.date(2019, 12, 31)
    first = services.snapshot_store(plan=plan, as_of=day, per_township=False)
    services.snapshot_store(plan=plan, as_of=day, per_township=False)
    assert Snapshot.objects.filter(as_of=day).count() == first == 38
    r1 = Snapshot.objects.get(as_of=day, target__code="R1", township=None)
    assert r1.value == 3


def test_snapshot_command_and_tasks(plan):
    out = io.StringIO()
    call_command("snapshot_targets", "--as-of", "2019-03-31", "--district-only", stdout=out)
    assert "38 snapshots" in out.getvalue()
    from targets.tasks import snapshot_quarter_end

    assert snapshot_quarter_end.apply().get() >= 0  # in-process, whatever the broker


def test_reference_load_is_idempotent():
    from targets.reference import load

    assert "(0 records created or updated)" in load()[0]


def test_the_quarter_table_shows_status_labels_not_codes(client_for, leader, townships, target_of):
    _organisations(3, townships)
    url = reverse("targets:target_detail", args=[target_of("R1").pk]) + f"?as_of={AS_OF}"
    response = client_for(leader).get(url)  # in Chinese, where no label reads like its code
    statuses = [str(status) for _day, _value, status in response.context["over_time"]]
    assert statuses
    assert not set(statuses) & set(Status.values)


def test_the_date_field_shows_the_date_the_figures_are_for(client_for, leader, target_of):
    client = client_for(leader)
    plan = target_of("R1").plan
    today = datetime.date.today()
    expected = plan.default_as_of(today).isoformat()
    for url in (
        reverse("targets:dashboard"),
        reverse("targets:target_detail", args=[target_of("R1").pk]),
    ):
        page = client.get(url).content.decode()
        assert f'type="date" name="as_of" value="{expected}"' in page
    page = client.get(reverse("targets:dashboard"), {"as_of": AS_OF}).content.decode()
    assert f'name="as_of" value="{AS_OF}"' in page
