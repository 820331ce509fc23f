"""Printable pages, printed by Debian's chromium (print media, A4): the portal's header, side menu,
breadcrumbs and buttons stay off the paper, the content takes the page's whole width, and the
grade certificate comes out as exactly one A4 sheet. The PDFs are saved under
``test-artifacts/e2e/print/`` for a person to look at."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_pages import fetch_pages, route_pages
from tests.factories import AnnualReportFactory, EvaluationFactory, OrganisationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e" / "print"
NAME = "宁波市镇海区蛟川街道社区居家养老服务中心"
# Everything that is the portal around a page, not the page: none of it may be printed (the
# footer may: it names the bureau and the time the page was made, except on the certificate).
CHROME = "header.navbar, nav.sidebar, nav[aria-label] .breadcrumb, .btn"


@pytest.fixture
def evaluation(township):
    organisation = OrganisationFactory(
        name=NAME, township=township, grade="5A", grade_expires_on=datetime.date(2029, 7, 14)
    )
    AnnualReportFactory(
        organisation=organisation, year=2018, submitted_on=datetime.date(2019, 4, 1)
    )
    return EvaluationFactory(
        organisation=organisation,
        published=True,
        evaluated_on=datetime.date(2024, 6, 1),
        published_on=datetime.date(2024, 7, 15),
        valid_until=datetime.date(2029, 7, 14),
    )


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF chromium wrote: its /Type /Page objects (not the /Pages tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def _printed(browser, pages: dict[str, str], fetched: dict) -> dict:
    """Each page printed: {label: (pdf bytes, visible chrome, main's width / page width)}."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, printed = [], {}
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("http://localhost/**", route_pages(fetched))
    page.emulate_media(media="print")
    for label, path in pages.items():
        page.goto(f"http://localhost{path}")
        page.wait_for_load_state("networkidle")
        chrome = page.locator(CHROME)
        visible = [
            chrome.nth(i).evaluate("e => e.outerHTML.slice(0, 80)")
            for i in range(chrome.count())
            if chrome.nth(i).is_visible()
        ]
        if label == "certificate" and page.locator("footer.footer").is_visible():
            visible.append("footer")
        share = page.evaluate(
            "document.querySelector('main').getBoundingClientRect().width"
            " / document.documentElement.clientWidth"
        )
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        (ARTIFACTS / f"{label}.pdf").write_bytes(pdf)
        printed[label] = (pdf, visible, share)
    page.close()
    assert problems == []
    return printed


def test_staff_pages_print_without_the_portal_around_them(
    browser, client_for, staff, leader, evaluation
):
    organisation = evaluation.organisation
    staff_pages = {
        "certificate": reverse("evaluation:certificate", args=[evaluation.pk]),
        "evaluation": reverse("evaluation:evaluation_detail", args=[evaluation.pk]),
        "organisation": reverse("registry:organisation_detail", args=[organisation.pk]),
        "organisation-list": reverse("registry:organisation_list"),
    }
    printed = _printed(browser, staff_pages, fetch_pages(client_for(staff), staff_pages.values()))
    leader_pages = {"dashboard": reverse("targets:dashboard")}
    printed |= _printed(
        browser, leader_pages, fetch_pages(client_for(leader), leader_pages.values())
    )
    for label, (pdf, visible, share) in printed.items():
        assert visible == [], f"{label}: printed with {visible}"
        assert share > 0.95, f"{label}: the content takes {share:.0%} of the paper's width"
        assert _pdf_pages(pdf) >= 1, label
    assert _pdf_pages(printed["certificate"][0]) == 1


def test_public_profile_prints_without_search_and_menu(browser, client, evaluation):
    path = reverse("disclosure:organisation", args=[evaluation.organisation.pk])
    page = browser.new_page(locale="zh-CN")
    page.route("http://localhost/**", route_pages(fetch_pages(client, [path])))
    page.emulate_media(media="print")
    page.goto(f"http://localhost{path}")
    page.wait_for_load_state("networkidle")
    for selector in (".public-search", ".public-nav", ".breadcrumb", "#language-select"):
        assert not page.locator(selector).first.is_visible(), selector
    assert NAME in page.inner_text("main")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "public-profile.pdf").write_bytes(page.pdf(format="A4"))
    page.close()
