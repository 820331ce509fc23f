"""The public pages in a real browser, as a citizen on a phone (390 px) and on a desktop: nothing
wider than the screen, tables stacked into cards on the phone, text of a readable size, no
console error or refused resource (the CSP header is passed on). Debian's chromium through
Playwright, the pages handed to it by ``tests.browser_pages``. Screenshots are saved under
``test-artifacts/e2e/disclosure/``."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from procurement.models import Award, Brand
from registry.models import Inspection, ListEntry
from tests.browser_pages import fetch_pages, route_pages
from tests.factories import AnnualReportFactory, OrganisationFactory, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e" / "disclosure"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LONG_NAME = "宁波市镇海区招宝山街道社区居家养老与助残公益服务发展促进中心"


@pytest.fixture
def district(township, other_township):
    organisation = OrganisationFactory(
        name=LONG_NAME,
        township=township,
        legal_representative="王五",
        address="镇海区招宝山街道车站路一百二十八号综合服务楼三楼",
        grade="4A",
        grade_expires_on=datetime.date(2030, 1, 1),
        registered_on=datetime.date(2016, 3, 1),
    )
    AnnualReportFactory(
        organisation=organisation, year=2017, submitted_on=datetime.date(2018, 4, 1)
    )
    ListEntry.objects.create(
        organisation=organisation,
        kind="abnormal",
        reason="report_late",
        listed_on=datetime.date(2020, 6, 15),
    )
    ListEntry.objects.create(
        organisation=OrganisationFactory(name=f"{LONG_NAME}（二）", township=other_township),
        kind="serious",
        reason="two_years",
        listed_on=datetime.date(2020, 5, 1),
    )
    Inspection.objects.create(
        organisation=organisation,
        inspected_on=datetime.date(2019, 10, 8),
        result="rectify",
        published_on=datetime.date(2019, 11, 1),
    )
    project = ProjectFactory(
        organisation=organisation,
        name="困境儿童关爱与社区青少年心理健康综合服务项目",
        state="finished",
        finished_on=datetime.date(2019, 12, 20),
        contract_amount=1234567,
    )
    Award.objects.create(
        year=2019,
        organisation=organisation,
        name="红领巾志愿服务队",
        named_on=datetime.date(2019, 12, 1),
    )
    Brand.objects.create(
        name="蛟川善治",
        level="district",
        organisation=organisation,
        project=project,
        named_on=datetime.date(2019, 5, 1),
        year=2019,
    )
    return organisation


def _pages(organisation):
    return {
        "search": reverse("disclosure:search"),
        "profile": reverse("disclosure:organisation", args=[organisation.pk]),
        "abnormal": reverse("disclosure:list_entries", args=["abnormal"]),
        "blacklist": reverse("disclosure:list_entries", args=["serious"]),
        "spot-checks": reverse("disclosure:inspections"),
        "projects": reverse("disclosure:projects"),
        "teams": reverse("disclosure:awards"),
        "brands": reverse("disclosure:brands"),
    }


@pytest.mark.parametrize(("device", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_public_pages_fit_the_screen_and_read_well(browser, client, district, device, viewport):
    paths = _pages(district)
    fetched = fetch_pages(client, paths.values())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    page = browser.new_page(locale="zh-CN", viewport=viewport)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("http://localhost/**", route_pages(fetched))
    for label, path in paths.items():
        page.goto(f"http://localhost{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=ARTIFACTS / f"{device}-{label}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{label} is {width} px wide on a {device}"
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 14, f"{label}: {size} px text"
        assert page.locator("h1").count() == 1
        assert LONG_NAME in page.inner_text("main"), f"{label} shows no record"
        # every menu entry lies within the screen: none hidden off the edge of a phone
        links = page.locator(".public-nav .nav-link")
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
                f"{label}: menu entry {links.nth(i).inner_text()!r} is off the screen"
            )
        if device == "phone" and page.locator("table.table-stack tbody td").count():
            # stacked: the first row's cells lie one under the other, not side by side
            boxes = page.locator("table.table-stack tbody tr").first.locator("td")
            tops = [boxes.nth(i).bounding_box()["y"] for i in range(min(boxes.count(), 3))]
            assert tops == sorted(set(tops)), f"{label}: table not stacked on a phone"
    page.close()
    assert problems == []
