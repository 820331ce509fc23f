"""The township quarterly report: access, draft → submitted → accepted | returned → resubmitted,
locking, optimistic locking, the late flag and the comment asked for a big jump."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from targets import services
from targets.models import QuarterlyReport
from targets.tasks import remind_quarterly_reports
from tests.targets.conftest import filled
from zhenhai_so.models import Notification

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def report(plan, township, township_user):
    return services.quarterly_report_open(
        plan=plan, township=township, year=2019, quarter=3, user=township_user
    )


def save(report, user, values=None, narrative="", version=None):
    return services.quarterly_report_save_draft(
        report=report, values=filled(values), narrative=narrative, expected_version=version,
        user=user,
    )  # fmt: skip


# Access -------------------------------------------------------------------------------------


def test_access_to_a_report(client_for, report, township_user, other_township_user, staff, leader):
    edit = reverse("targets:report_edit", args=[report.pk])
    detail = reverse("targets:report_detail", args=[report.pk])
    assert client_for(township_user).get(edit).status_code == 200
    assert client_for(other_township_user).get(edit).status_code == 404
    assert client_for(other_township_user).get(detail).status_code == 404
    assert client_for(staff).get(edit).status_code == 403
    assert client_for(leader).get(detail).status_code == 200
    review = reverse("targets:report_review", args=[report.pk, "accept"])
    assert client_for(leader).post(review).status_code == 403
    assert client_for(township_user).post(review).status_code == 403


# Workflow -----------------------------------------------------------------------------------


def test_draft_saves_without_loss_and_submit_then_accept_locks(report, township_user, staff):
    report = save(report, township_user, {("funds_raised", None): {"value": "12.50"}}, "问题")
    report.refresh_from_db()
    values = {(v.indicator.code, v.community_id): v.value for v in report.values.all()}
    assert values[("funds_raised", None)] == "12.5"
    assert report.narrative == "问题"
    report = services.quarterly_report_submit(report=report, user=township_user)
    assert report.state == QuarterlyReport.State.SUBMITTED
    with pytest.raises(ValidationError):
        save(report, township_user)
    report = services.quarterly_report_accept(report=report, user=staff)
    assert report.state == QuarterlyReport.State.ACCEPTED
    with pytest.raises(ValidationError):
        services.quarterly_report_return(report=report, user=staff, reason="x")
    with pytest.raises(ValidationError):
        save(report, township_user)
    assert [s.to_state for s in report.steps.all()] == ["draft", "submitted", "accepted"]


def test_returned_report_keeps_what_was_entered_and_can_be_resubmitted(
    report, township_user, staff
):
    report = save(report, township_user, {("volunteers", None): {"value": "77"}}, "初稿")
    report = services.quarterly_report_submit(report=report, user=township_user)
    with pytest.raises(ValidationError):
        services.quarterly_report_return(report=report, user=staff, reason="  ")
    report = services.quarterly_report_return(report=report, user=staff, reason="请核实")
    report.refresh_from_db()
    assert (report.state, report.return_reason, report.narrative) == ("returned", "请核实", "初稿")
    assert report.values.get(indicator__code="volunteers").value == "77"
    report = services.quarterly_report_submit(report=report, user=township_user)
    assert report.state == "submitted"


def test_staff_hear_of_a_submission_at_once_and_the_township_of_a_return(
    report, township_user, other_township_user, staff
):
    report = save(report, township_user)
    report = services.quarterly_report_submit(report=report, user=township_user)
    waiting = Notification.objects.filter(user=staff, kind=Notification.Kind.REVIEW)
    assert [n.link for n in waiting] == [reverse("targets:report_detail", args=[report.pk])]
    remind_quarterly_reports("2019-10-10")  # the daily reminder adds nothing for it
    assert waiting.count() == 1
    services.quarterly_report_return(report=report, user=staff, reason="请核实志愿者人数")
    returned = Notification.objects.filter(kind=Notification.Kind.RETURNED)
    assert [(n.user, n.body) for n in returned] == [(township_user, "请核实志愿者人数")]
    assert not Notification.objects.filter(user=other_township_user).exclude(
        kind=Notification.Kind.REMINDER
    )


def test_cannot_submit_with_required_figures_missing(report, township_user):
    services.quarterly_report_save_draft(
        report=report, values={}, narrative="", expected_version=None, user=township_user
    )
    with pytest.raises(ValidationError) as error:
        services.quarterly_report_submit(report=report, user=township_user)
    assert "volunteers" in error.value.message_dict


def test_stale_save_is_refused(report, township_user):
    opened_version = report.version
    save(report, township_user, {("volunteers", None): {"value": "10"}}, version=opened_version)
    with pytest.raises(services.StaleReport):
        save(report, township_user, {("volunteers", None): {"value": "99"}}, version=opened_version)
    assert report.values.get(indicator__code="volunteers").value == "10"


def test_stale_save_through_the_page_shows_a_message(client_for, report, township_user):
    client = client_for(township_user)
    url = reverse("targets:report_edit", args=[report.pk])
    data = {f"v__{code}": v["value"] for (code, _c), v in filled().items()}
    data |= {"version": report.version, "narrative": "x", "save": "1"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)
    assert "nothing was saved" in response.content.decode() or "未保存" in response.content.decode()


def test_late_flag_after_the_fifteenth_day(report, township_user):
    save(report, township_user)
    # Q3 2019 ends on 30 September: due 15 October.
    on_time = services.quarterly_report_submit(
        report=report, user=township_user, now=datetime.datetime(2019, 10, 15, 23, 0, tzinfo=TZ)
    )
    assert not on_time.late
    other = services.quarterly_report_open(
        plan=report.plan, township=report.township, year=2019, quarter=4, user=township_user
    )
    save(other, township_user)
    late = services.quarterly_report_submit(
        report=other, user=township_user, now=datetime.datetime(2020, 1, 16, 9, 0, tzinfo=TZ)
    )
    assert late.late


def test_big_jump_from_the_previous_quarter_needs_a_comment(plan, report, township_user, staff):
    report = save(report, township_user, {("people_served", None): {"value": "1000"}})
    services.quarterly_report_accept(
        report=services.quarterly_report_submit(report=report, user=township_user), user=staff
    )
    nxt = services.quarterly_report_open(
        plan=plan, township=report.township, year=2019, quarter=4, user=township_user
    )
    save(nxt, township_user, {("people_served", None): {"value": "1600"}})  # +60 %
    with pytest.raises(ValidationError) as error:
        services.quarterly_report_submit(report=nxt, user=township_user)
    assert "people_served" in error.value.message_dict
    save(nxt, township_user, {("people_served", None): {"value": "1600", "comment": "新增服务点"}})
    assert services.quarterly_report_submit(report=nxt, user=township_user).state == "submitted"


def test_submit_errors_land_at_the_figure_or_at_its_comment(
    client_for, plan, report, township_user, staff
):
    report = save(report, township_user, {("people_served", None): {"value": "1000"}})
    services.quarterly_report_accept(
        report=services.quarterly_report_submit(report=report, user=township_user), user=staff
    )
    nxt = services.quarterly_report_open(
        plan=plan, township=report.township, year=2019, quarter=4, user=township_user
    )
    data = {f"v__{code}": v["value"] for (code, _c), v in filled().items()}
    data |= {"v__people_served": "1600", "v__volunteers": "", "version": nxt.version}
    data |= {"narrative": "", "submit": "1"}
    url = reverse("targets:report_edit", args=[nxt.pk])
    client = client_for(township_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = client.post(url, data).context["form"]
    assert form.errors["v__volunteers"] == ["Required before submitting."]
    assert "c__volunteers" not in form.errors
    assert form.errors["c__people_served"][0].startswith("This figure is far from")
    assert "v__people_served" not in form.errors


def test_community_flags_are_prefilled_from_the_last_accepted_report(
    plan, report, township, township_user, staff
):
    community = township.communities.first()
    report = save(report, township_user, {("hub_platform", community.pk): {"value": "1"}})
    services.quarterly_report_accept(
        report=services.quarterly_report_submit(report=report, user=township_user), user=staff
    )
    nxt = services.quarterly_report_open(
        plan=plan, township=township, year=2019, quarter=4, user=township_user
    )
    assert nxt.values.get(indicator__code="hub_platform", community=community).value == "1"


def test_staff_accepts_and_returns_through_the_page(client_for, report, township_user, staff):
    report = services.quarterly_report_submit(
        report=save(report, township_user), user=township_user
    )
    client = client_for(staff)
    url = reverse("targets:report_review", args=[report.pk, "return"])
    assert client.post(url, {"reason": "数字有误"}).status_code == 302
    report.refresh_from_db()
    assert (report.state, report.return_reason) == ("returned", "数字有误")


def test_an_empty_return_reason_is_refused_at_its_field(client_for, report, township_user, staff):
    report = services.quarterly_report_submit(
        report=save(report, township_user), user=township_user
    )
    url = reverse("targets:report_review", args=[report.pk, "return"])
    response = client_for(staff).post(url, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["review_form"].errors["reason"] == ["请说明退回报表的理由。"]
    report.refresh_from_db()
    assert report.state == "submitted"


def test_board_shows_states_and_rates(client_for, report, township_user, staff):
    save(report, township_user)
    services.quarterly_report_submit(
        report=report, user=township_user, now=datetime.datetime(2019, 10, 20, tzinfo=TZ)
    )
    response = client_for(staff).get(reverse("targets:report_board"))
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert row["township"] == report.township
    assert row["reporting_rate"] is not None
    assert (
        client_for(township_user)
        .get(reverse("targets:report_board"))
        .context["rows"][0]["township"]
        == report.township
    )


def test_the_board_offers_the_township_the_report_to_do_next(
    plan, township, township_user, staff, client_for
):
    """The board's button leads to what is next: a returned report first, else the newest
    quarter while it is not sent, else the oldest quarter never reported; none when all are in."""
    from targets.views import _quarters, _today

    quarters = _quarters(plan, _today())
    client = client_for(township_user)

    def button():
        return client.get(reverse("targets:report_board")).context["next_report"]

    assert button() == {"quarter": quarters[-1], "action": "start"}
    newest = services.quarterly_report_open(
        plan=plan, township=township, year=quarters[-1][0], quarter=quarters[-1][1],
        user=township_user,
    )  # fmt: skip
    assert button() == {"quarter": quarters[-1], "action": "continue"}
    save(newest, township_user)
    services.quarterly_report_submit(report=newest, user=township_user)
    assert button() == {"quarter": quarters[0], "action": "start"}  # the oldest gap
    for year, quarter in quarters[:-1]:
        report = services.quarterly_report_open(
            plan=plan, township=township, year=year, quarter=quarter, user=township_user
        )
        save(report, township_user)
        services.quarterly_report_submit(report=report, user=township_user)
    html = client.get(reverse("targets:report_board")).content.decode()
    assert button() is None and 'data-testid="next-report"' not in html
    services.quarterly_report_return(report=newest, user=staff, reason="数字有误")
    assert button() == {"quarter": quarters[-1], "action": "fix"}
    assert (
        'data-testid="next-report"' in client.get(reverse("targets:report_board")).content.decode()
    )
    assert client_for(staff).get(reverse("targets:report_board")).context["next_report"] is None
