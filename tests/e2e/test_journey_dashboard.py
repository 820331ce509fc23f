"""Journey 3: a leader opens the plan dashboard, moves it to another date and to one township,
clicks a target's number and finds the organisations behind it, and downloads the dashboard's
workbook, which holds every target of the plan."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from registry.models import OrgType, Township
from targets import services
from targets.models import Plan
from tests.factories import (
    TEST_PASSWORD,
    AnnualReportFactory,
    OrganisationFactory,
    ProjectFactory,
    make_user,
)
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
AS_OF = "2019-12-31"


def _district():
    """Organisations in two townships; in the first, two count at the end of 2019 (one of them
    registered during 2019), one was registered later and one was dissolved before."""
    first, second = Township.objects.order_by("order")[:2]
    day = datetime.date
    counted = [
        OrganisationFactory(name="招宝山老年协会", township=first, registered_on=day(2016, 4, 1)),
        OrganisationFactory(
            name="招宝山邻里互助中心",
            township=first,
            org_type=OrgType.PRIVATE_NON_ENTERPRISE,
            registered_on=day(2019, 6, 1),
        ),
    ]
    OrganisationFactory(name="招宝山新成立协会", township=first, registered_on=day(2020, 5, 1))
    OrganisationFactory(
        name="招宝山已注销协会",
        township=first,
        registered_on=day(2012, 1, 1),
        dissolved_on=day(2019, 3, 1),
    )
    OrganisationFactory(name="蛟川书画协会", township=second, registered_on=day(2015, 3, 1))
    for org in counted:
        AnnualReportFactory(organisation=org, year=2018)
    # Purchase of services signed in 2019: 428,000 yuan, shown as 43 (10,000 yuan).
    ProjectFactory(organisation=counted[0], contract_amount=380000)
    ProjectFactory(organisation=counted[1], contract_amount=48000)
    return first, [o.name for o in counted]


def test_leader_reads_dashboard_target_records_and_workbook(journey):
    from django.core.management import call_command

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    township, counted = _district()
    plan = Plan.objects.get(code="zhenhai-2018-2020")
    services.series_refresh()  # what the refresh task does after the data is committed
    codes = set(plan.targets.values_list("code", flat=True))
    make_user("lijuzhang", Role.LEADER, full_name="李局长")
    page = journey.page

    journey.login("lijuzhang", TEST_PASSWORD)
    page.click("nav.sidebar a[href$='/plan/']")
    page.wait_for_load_state("networkidle")
    journey.shot("dashboard")
    assert page.locator("[data-testid=targets] tbody tr").count() == len(codes)
    # The plan has ended: the dashboard opens on its last day.
    assert "2020-12-31" in page.locator("[data-testid=as-of]").inner_text()

    # Another date and one township.
    page.fill("#id_as_of", AS_OF)
    page.select_option("#id_township", label=township.name)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("dashboard-township")
    assert township.name in page.locator("h1").inner_text()
    assert AS_OF in page.locator("[data-testid=as-of]").inner_text()
    assert page.locator("[data-testid=value-R1]").inner_text().strip().startswith("2")
    assert page.locator("[data-testid=spending]").inner_text().strip() == "43"
    sparkline = page.locator("tr[data-code=R1] .sparkline svg")
    assert sparkline.count() == 1, "no sparkline was drawn"
    box = sparkline.bounding_box()
    assert box["width"] >= 40 and box["height"] >= 16, f"the sparkline is not visible: {box}"
    assert sparkline.locator("path").count() > 0

    # The number's organisations, for that township and date only.
    page.click("[data-testid=value-R1]")
    page.wait_for_load_state("networkidle")
    journey.shot("target-records")
    assert page.locator("h1").inner_text().startswith("R1")
    assert township.name in page.locator("h1").inner_text()
    assert page.input_value("#id_as_of") == AS_OF
    rows = page.locator("[data-testid=records] tbody tr")
    assert sorted(rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())) == (
        sorted(counted)
    )
    assert page.locator("#chart-time canvas, #chart-time svg").count() > 0
    assert page.locator("#chart-townships canvas, #chart-townships svg").count() > 0
    page.click("[data-testid=records] tbody tr a >> nth=0")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() in counted
    journey.shot("organisation")
    page.go_back()
    page.go_back()
    page.wait_for_load_state("networkidle")

    # Back on the dashboard (same date and township), the workbook of every target.
    assert township.name in page.locator("h1").inner_text()
    content = journey.download("form[role=search] a[href*='export=xlsx']", "workbook-ready")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheet = workbook.worksheets[0]
    assert sheet.title.startswith(township.name) and AS_OF in sheet.title
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and rows[0][2] == "目标"
    by_code = {row[0]: row for row in rows[1:] if row[0]}
    assert set(by_code) == codes
    assert by_code["R1"][3] == 2
    journey.assert_clean()
