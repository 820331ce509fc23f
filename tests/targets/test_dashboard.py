"""The dashboard and target pages read the stored series: constant query counts at any date,
township scoping, exports, the ``target_progress`` JSON, and the refresh command."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import OrgType
from targets import services
from targets.models import Series, Status, TargetValue
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
    client_for, leader, townships, refresh, django_assert_max_num_queries
):
    client = client_for(leader)
    url = reverse("targets:dashboard") + f"?as_of={AS_OF}"
    _organisations(10, townships)
    refresh()
    small = _count(client, url)
    _organisations(40, townships)
    refresh()
    # Session, user, the plan, the township select, the targets, the stored values of every
    # target at the date, its baseline and each quarter end (two queries), pending refreshes.
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert _count(client, url) == small
    shown = {p.target.code: p for p in response.context["progress"]}
    assert shown["R1"].value == 50
    # Any other date and township costs the same as any other.
    base = reverse("targets:dashboard")
    one = _count(client, f"{base}?as_of=2018-08-17&township={townships[1].pk}")
    assert _count(client, f"{base}?as_of=2020-02-29&township={townships[2].pk}") == one


def test_target_page_query_count_does_not_grow_with_organisations(
    client_for, leader, townships, target_of, refresh, django_assert_max_num_queries
):
    client = client_for(leader)
    url = reverse("targets:target_detail", args=[target_of("S3").pk]) + f"?as_of={AS_OF}"
    _organisations(10, townships)
    refresh()
    small = _count(client, url)
    _organisations(40, townships)
    refresh()
    # Session, user, the target, townships, the stored values (two queries: the date, the
    # baseline and each quarter end, for every township), one page of records and its count.
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.context["progress"].denominator == 50
    assert _count(client, url) == small


def test_dashboard_shows_the_numbers_of_target_progress(client_for, leader, townships, refresh):
    _organisations(6, townships)
    refresh()
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


def test_refresh_is_idempotent_and_writes_only_what_changed(plan, townships, refresh):
    _organisations(3, townships)
    first = refresh()
    assert first > 0
    assert refresh() == 0  # nothing changed: nothing written
    r1 = Series.objects.get(target__code="R1", township=None, year=0)
    assert TargetValue.objects.filter(series=r1).order_by("valid_from").last().value == 3
    # One more organisation: only the steps from its registration on are written again.
    OrganisationFactory(township=townships[0], registered_on=datetime.date(2020, 3, 1))
    again = refresh()
    assert 0 < again < first
    assert services.series_verify(seed=1, days=8) == []


def test_refresh_command_and_verify(plan, townships):
    _organisations(4, townships)
    out = io.StringIO()
    call_command("refresh_targets", stdout=out)
    assert "values stored" in out.getvalue()
    out = io.StringIO()
    call_command("refresh_targets", "--verify", "--seed", "2", stdout=out)
    assert "agree" in out.getvalue()
    # A stored value changed behind the refresh's back is found.
    r1 = Series.objects.get(target__code="R1", township=None, year=0)
    TargetValue.objects.filter(series=r1).update(value=999)
    with pytest.raises(CommandError, match="differ"):
        call_command("refresh_targets", "--verify", "--seed", "2", stdout=io.StringIO())
    # --from keeps what was stored before the date and recomputes the rest.
    call_command("refresh_targets", "--from", "2019-01-01", stdout=io.StringIO())
    before = TargetValue.objects.filter(series=r1, valid_from__lt=datetime.date(2019, 1, 1))
    assert set(before.values_list("value", flat=True)) == {999}
    assert TargetValue.objects.get(series=r1, valid_from=datetime.date(2019, 1, 1)).value == 4


def test_reference_load_is_idempotent():
    from targets.reference import load

    assert "(0 records created or updated)" in load()[0]


def test_the_quarter_table_shows_status_labels_not_codes(
    client_for, leader, townships, target_of, refresh
):
    _organisations(3, townships)
    refresh()
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
