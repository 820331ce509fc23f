"""Annual reports: reporting status, the year board, listing the overdue, removal history."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse

from registry import services
from registry.models import AnnualReport, ListEntry
from tests.factories import AnnualReportFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
DUE = datetime.date(2019, 5, 31)


@pytest.mark.parametrize(
    ("submitted", "today", "code", "days", "level"),
    [
        (DUE, DUE, "on_time", 0, "success"),
        (DUE + datetime.timedelta(days=1), DUE + datetime.timedelta(days=5), "late", 1, "warning"),
        (None, DUE, "not_due", 0, "secondary"),
        (None, DUE - datetime.timedelta(days=3), "not_due", 3, "secondary"),
        (None, DUE + datetime.timedelta(days=14), "overdue", 14, "warning"),
        (None, DUE + datetime.timedelta(days=15), "overdue", 15, "danger"),
    ],
)
def test_reporting_status(submitted, today, code, days, level):
    report = AnnualReport(year=2018, submitted_on=submitted) if submitted else None
    assert services.reporting_status(report, 2018, today) == {
        "code": code,
        "days": days,
        "level": level,
    }


def test_obliged_years_follow_the_r5_definition():
    organisation = OrganisationFactory.build(
        registered_on=datetime.date(2016, 1, 1), dissolved_on=datetime.date(2019, 12, 31)
    )
    assert list(services.obliged_years(organisation, datetime.date(2021, 3, 1))) == [2017, 2018]


def test_board_counts_and_lists_who_has_not_reported(client_for, staff, township):
    on_time = OrganisationFactory(
        name="按时", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    AnnualReportFactory(organisation=on_time, year=2018, submitted_on=datetime.date(2019, 4, 1))
    late = OrganisationFactory(
        name="迟交", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    AnnualReportFactory(organisation=late, year=2018, submitted_on=datetime.date(2019, 6, 10))
    missing = OrganisationFactory(
        name="未报", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    OrganisationFactory(name="当年新设", township=township, registered_on=datetime.date(2018, 3, 1))
    client = client_for(staff)
    response = client.get(reverse("registry:annual_report_board"), {"year": 2018})
    assert response.context["counts"] == {"on_time": 1, "late": 1, "not_due": 0, "overdue": 1}
    response = client.get(
        reverse("registry:annual_report_board"), {"year": 2018, "only": "overdue"}
    )
    assert [r.pk for r in response.context["page"]] == [missing.pk]


def test_overdue_organisations_go_on_the_abnormal_list_in_one_action(client_for, staff, township):
    missing = OrganisationFactory(township=township, registered_on=datetime.date(2015, 1, 1))
    reported = OrganisationFactory(township=township, registered_on=datetime.date(2015, 1, 1))
    AnnualReportFactory(organisation=reported, year=2018)
    client = client_for(staff)
    client.post(
        reverse("registry:annual_report_list_overdue"),
        {"year": 2018, "organisation": [missing.pk, reported.pk], "confirm": "1"},
    )
    entry = ListEntry.objects.get()
    assert entry.organisation == missing and entry.reason == ListEntry.Reason.REPORT_LATE
    assert entry.listed_by == staff and "2018" in entry.details
    # A second click lists nobody twice.
    client.post(
        reverse("registry:annual_report_list_overdue"),
        {"year": 2018, "organisation": [missing.pk], "confirm": "1"},
    )
    assert ListEntry.objects.count() == 1


def test_removal_keeps_the_entry_with_its_reason(client_for, staff):
    entry = ListEntry.objects.create(
        organisation=OrganisationFactory(),
        kind="abnormal",
        reason="report_late",
        listed_on=datetime.date(2019, 7, 1),
    )
    client_for(staff).post(
        reverse("registry:list_entry_remove", args=[entry.pk]),
        {"removed_on": "2019-09-01", "removal_reason": "已补报"},
    )
    entry.refresh_from_db()
    assert entry.removed_on == datetime.date(2019, 9, 1) and entry.removal_reason == "已补报"
    assert entry.removed_by == staff


def test_removal_needs_a_reason(client_for, staff):
    entry = ListEntry.objects.create(
        organisation=OrganisationFactory(),
        kind="abnormal",
        reason="report_late",
        listed_on=datetime.date(2019, 7, 1),
    )
    response = client_for(staff).post(
        reverse("registry:list_entry_remove", args=[entry.pk]),
        {"removed_on": "2019-09-01", "removal_reason": ""},
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.removed_on is None


def test_staff_enters_an_annual_report(client_for, staff):
    organisation = OrganisationFactory(registered_on=datetime.date(2015, 1, 1))
    response = client_for(staff).post(
        reverse("registry:annual_report_edit", args=[organisation.pk, 2019]),
        {
            "submitted_on": "2020-04-30",
            "result": "qualified",
            "full_time_staff": 2,
            "office_area": "45.5",
            "office_independent": "on",
            "has_finance_system": "on",
            "party_members": 3,
        },
    )
    assert response.status_code == 302
    report = AnnualReport.objects.get(organisation=organisation, year=2019)
    assert report.full_time_staff == 2 and report.office_independent and report.party_members == 3


def test_future_receipt_date_is_refused(client_for, staff):
    organisation = OrganisationFactory(registered_on=datetime.date(2015, 1, 1))
    response = client_for(staff).post(
        reverse("registry:annual_report_edit", args=[organisation.pk, 2019]),
        {"submitted_on": "2999-01-01", "result": "qualified"},
    )
    assert "submitted_on" in response.context["form"].errors
    assert not AnnualReport.objects.exists()


def test_stale_annual_report_save_is_refused(client_for, staff):
    report = AnnualReportFactory(year=2019, full_time_staff=1)
    AnnualReport.objects.filter(pk=report.pk).update(full_time_staff=5, version=2)
    response = client_for(staff).post(
        reverse("registry:annual_report_edit", args=[report.organisation_id, 2019]),
        {"submitted_on": "2020-04-01", "result": "qualified", "full_time_staff": 3, "version": 1},
    )
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.full_time_staff == 5


@pytest.mark.parametrize(
    "today", [DUE - datetime.timedelta(days=10), DUE + datetime.timedelta(days=1)]
)
def test_board_pages_by_status_match_the_computed_statuses(client_for, staff, township, today):
    """The board cuts its page with EXISTS subqueries (reporting_status_q) and reads statuses for
    the page only: every ``only`` lists exactly the organisations with that computed status, in
    the board's order, counted as the counts say."""
    registered = datetime.date(2015, 1, 1)
    submitted = {
        "甲按时": datetime.date(2019, 4, 1),
        "乙迟交": datetime.date(2019, 6, 10),
        "丙未报": None,
        "丁空报告": "blank",  # a report row without a submission date counts as not reported
    }
    for name, day in submitted.items():
        organisation = OrganisationFactory(name=name, township=township, registered_on=registered)
        if day == "blank":
            AnnualReportFactory(organisation=organisation, year=2018, submitted_on=None)
        elif day:
            AnnualReportFactory(organisation=organisation, year=2018, submitted_on=day)
    client = client_for(staff)
    with mock.patch("registry.views._today", return_value=today):
        response = client.get(reverse("registry:annual_report_board"), {"year": 2018})
        expected = {}
        for row in response.context["page"]:
            expected.setdefault(row.status["code"], []).append(row.name)
        assert response.context["page"].paginator.count == 4
        for code in services.REPORTING_CODES:
            response = client.get(
                reverse("registry:annual_report_board"), {"year": 2018, "only": code}
            )
            names = [row.name for row in response.context["page"]]
            assert names == expected.get(code, []), code
            assert response.context["page"].paginator.count == len(names)
            assert response.context["counts"][code] == len(names)
    waiting = "not_due" if today <= DUE else "overdue"
    assert {code: set(names) for code, names in expected.items()} == {
        "on_time": {"甲按时"},
        "late": {"乙迟交"},
        waiting: {"丙未报", "丁空报告"},
    }


def test_the_reports_tab_starts_at_the_registers_first_recorded_year(client_for, staff):
    """An organisation registered in 2008 owes reports from 2009, but the register's records
    begin with the first year it holds reports for: earlier years are not shown as overdue
    (the public profile follows the same rule)."""
    old = OrganisationFactory(registered_on=datetime.date(2008, 11, 9))
    AnnualReportFactory(organisation=old, year=2017, submitted_on=datetime.date(2018, 4, 4))
    response = client_for(staff).get(
        reverse("registry:organisation_detail", args=[old.pk]), {"tab": "reports"}
    )
    rows = response.context["tab_context"]["rows"]
    years = [row["year"] for row in rows]
    today = datetime.date.today()
    assert years == list(range(today.year - 1, 2016, -1))  # 2017 .. last year, newest first
    assert rows[-1]["status"]["code"] == "on_time"


def test_township_user_gets_404_for_another_townships_annual_report(
    client_for, township_user, other_township
):
    elsewhere = OrganisationFactory(township=other_township)
    response = client_for(township_user).get(
        reverse("registry:annual_report_edit", args=[elsewhere.pk, 2019])
    )
    assert response.status_code == 404


def test_township_user_gets_403_for_an_annual_report_of_their_own_township(
    client_for, township_user, township
):
    own = OrganisationFactory(township=township)
    response = client_for(township_user).get(
        reverse("registry:annual_report_edit", args=[own.pk, 2019])
    )
    assert response.status_code == 403


def _overdue_pair(township):
    first = OrganisationFactory(
        name="甲未报组织", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    second = OrganisationFactory(
        name="乙未报组织", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    OrganisationFactory(
        name="丙未报组织", township=township, registered_on=datetime.date(2015, 1, 1)
    )
    AnnualReportFactory(year=2018)  # the register holds reports of 2018
    return first, second


def test_the_overdue_board_ticks_nothing_and_offers_select_all_and_none(
    client_for, staff, township
):
    _overdue_pair(township)
    page = client_for(staff).get(
        reverse("registry:annual_report_board"), {"year": 2018, "only": "overdue"}
    )
    text = page.content.decode()
    assert 'name="organisation"' in text
    assert " checked" not in text
    assert "js-select-all" in text and "js-select-none" in text


def test_listing_the_overdue_asks_to_confirm_with_the_count_and_names(client_for, staff, township):
    first, second = _overdue_pair(township)
    client = client_for(staff)
    url = reverse("registry:annual_report_list_overdue")
    asked = client.post(url, {"year": 2018, "organisation": [first.pk, second.pk]})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "甲未报组织" in text and "乙未报组织" in text and "丙未报组织" not in text
    assert asked.context["organisations"] and len(asked.context["organisations"]) == 2
    assert "2" in text.split("<h1")[1].split("</h1>")[0] or " 2 " in text
    assert not ListEntry.objects.exists()
    client.post(url, {"year": 2018, "organisation": [first.pk, second.pk], "confirm": "1"})
    assert set(ListEntry.objects.values_list("organisation__name", flat=True)) == {
        "甲未报组织",
        "乙未报组织",
    }
