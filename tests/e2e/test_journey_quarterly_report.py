"""Journey 2: a township office fills in its quarterly report in Chinese, saves a draft, reloads
and finds it intact, is told at the field what is still missing, submits; bureau staff return it
with a reason; the township reads the reason, fixes the figure and submits again; staff accept,
and the report is locked for the township from then on."""

import io

import pytest

from registry.models import Township
from targets.models import QuarterlyReport
from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Township-wide figures typed in by the township office: field name → value.
FIGURES = {
    "v__service_centre_working": "1",
    "v__party_mass_integrated": "1",
    "v__rural_demo_platforms": "2",
    "v__trainings_held": "3",
    "v__training_attendance": "85",
    "v__community_orgs_filed": "4",
    "v__welfare_activities": "12",
    "v__people_served": "640",
    "v__funds_raised": "12.5",
}
NARRATIVE = "部分村社区服务站人手不足，下季度开展骨干培训。"
REASON = "志愿者人次未填写，请补充后重新报送。"


def _fill(page, figures):
    for name, value in figures.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def _values(page, names):
    return {name: page.input_value(f"[name={name}]") for name in names}


def _state(page):
    return page.locator("[data-testid=state]").inner_text().strip()


def test_township_reports_staff_return_and_accept(journey):
    from django.core.management import call_command

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    township = Township.objects.order_by("order").first()
    make_user("zhaobaoshan", Role.TOWNSHIP_OFFICE, township=township, full_name="招宝山街道")
    make_user("wangke", Role.BUREAU_STAFF, full_name="王科员")
    page = journey.page

    # The township office opens the board from the menu and starts the current quarter's report.
    journey.login("zhaobaoshan", TEST_PASSWORD)
    page.click("nav.sidebar a[href$='/plan/reports/']")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "镇街季度报表"
    journey.shot("board")
    page.click("main form[action*='/plan/reports/new/'] button.btn-primary")
    page.wait_for_load_state("networkidle")
    report = QuarterlyReport.objects.get(township=township)
    assert page.url.endswith(f"/plan/reports/{report.pk}/edit/")

    # A draft keeps what was typed, including a figure not yet complete, across a reload.
    _fill(page, FIGURES)
    page.fill("[name=c__people_served]", "含两场大型义诊")
    page.fill("[name=narrative]", NARRATIVE)
    community_field = page.locator("[name^='v__hub_platform__']").first
    community_field.select_option("1")
    community_name = community_field.get_attribute("name")
    journey.shot("draft-filled")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert "草稿已保存" in page.locator("main").inner_text()
    page.reload()
    page.wait_for_load_state("networkidle")
    journey.shot("draft-reloaded")
    assert _values(page, FIGURES) == FIGURES
    assert page.input_value("[name=c__people_served]") == "含两场大型义诊"
    assert page.input_value("[name=narrative]") == NARRATIVE
    assert page.input_value(f"[name={community_name}]") == "1"

    # Submitting with the volunteers' figure empty is refused, in Chinese, at that field.
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("submit-refused")
    volunteers_cell = page.locator("tr", has=page.locator("[name=v__volunteers]"))
    assert "提交前必须填写" in volunteers_cell.locator(".invalid-feedback").inner_text()
    assert QuarterlyReport.objects.get(pk=report.pk).state == QuarterlyReport.State.DRAFT
    assert _values(page, FIGURES) == FIGURES

    page.fill("[name=v__volunteers]", "45")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("submitted")
    assert page.url.endswith(f"/plan/reports/{report.pk}/")
    assert _state(page) == "已提交"
    assert page.locator("a[href$='/edit/']").count() == 0
    journey.logout()

    # Bureau staff return it; an empty reason is refused first.
    journey.login("wangke", TEST_PASSWORD)
    journey.go("/plan/reports/")
    page.click(f"[data-testid=board] a[href$='/plan/reports/{report.pk}/']")
    page.wait_for_load_state("networkidle")
    journey.shot("staff-review")
    page.click("form[action$='/return/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "请说明退回报表的理由" in page.locator("main").inner_text()
    assert _state(page) == "已提交"
    page.fill("form[action$='/return/'] textarea[name=reason]", REASON)
    page.click("form[action$='/return/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("returned")
    assert _state(page) == "已退回"
    journey.logout()

    # The township reads the reason, changes the figure, and submits again.
    journey.login("zhaobaoshan", TEST_PASSWORD)
    journey.go("/plan/reports/")
    page.click(f"[data-testid=board] a[href$='/plan/reports/{report.pk}/']")
    page.wait_for_load_state("networkidle")
    assert REASON in page.locator(".alert-warning").inner_text()
    journey.shot("reason-seen")
    page.click(f"main a[href$='/plan/reports/{report.pk}/edit/']")
    page.wait_for_load_state("networkidle")
    assert REASON in page.locator(".alert-warning").inner_text()
    assert page.input_value("[name=v__volunteers]") == "45"
    page.fill("[name=v__volunteers]", "52")
    journey.shot("fixed")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert _state(page) == "已提交"
    journey.logout()

    # Staff accept.
    journey.login("wangke", TEST_PASSWORD)
    journey.go(f"/plan/reports/{report.pk}/")
    page.click("form[action$='/accept/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("accepted")
    assert _state(page) == "已通过"
    assert "报表已审核通过" in page.locator("main").inner_text()
    journey.logout()

    # Locked for the township: no edit button, and the edit page sends them back with a note.
    journey.login("zhaobaoshan", TEST_PASSWORD)
    journey.go(f"/plan/reports/{report.pk}/")
    assert page.locator("main a[href$='/edit/']").count() == 0
    journey.go(f"/plan/reports/{report.pk}/edit/")
    assert page.url.endswith(f"/plan/reports/{report.pk}/")
    assert "已锁定" in page.locator("main").inner_text()
    journey.shot("locked")
    report.refresh_from_db()
    assert report.state == QuarterlyReport.State.ACCEPTED
    values = {v.indicator.code: v.value for v in report.values.filter(community=None)}
    assert values["volunteers"] == "52" and values["people_served"] == "640"
    assert [s.to_state for s in report.steps.order_by("at", "pk")] == [
        "draft",
        "submitted",
        "returned",
        "submitted",
        "accepted",
    ]
    journey.assert_clean()
