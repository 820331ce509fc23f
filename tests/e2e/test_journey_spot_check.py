"""Journey: bureau staff plan a 双随机 spot check, fill the inspectors' pool, draw (the page shows
the seed and each drawn organisation with its two inspectors), record a result with its
publication date; the public sees the draw list, the seed and the published result."""

import io

import pytest

from registry.models import Inspector, SpotCheckPlan, Township
from tests.factories import TEST_PASSWORD, OrganisationFactory, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_staff_draw_a_spot_check_and_the_public_sees_it(journey):
    from django.core.management import call_command
    from django.db import transaction

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    township = Township.objects.order_by("order").first()
    with transaction.atomic():  # the eager targets refresh runs after the commit
        for _ in range(6):
            OrganisationFactory(township=township)
        for name in ("张检查", "李检查", "王检查"):
            Inspector.objects.create(name=name, unit="区民政局")
    make_user("wangke", Role.BUREAU_STAFF, full_name="王科员")
    page = journey.page

    journey.login("wangke", TEST_PASSWORD)
    journey.go("/registry/spot-checks/new/")
    page.fill("#id_title", "2026年度社会组织双随机抽查")
    page.check("input[name=org_types][value=social_group]")
    page.check(f"input[name=townships][value='{township.pk}']")
    page.fill("#id_count", "2")
    journey.shot("plan")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("main form[action$='/draw/'] button")  # the confirmation dialog is accepted
    page.wait_for_load_state("networkidle")
    plan = SpotCheckPlan.objects.get()
    assert plan.seed and page.locator("[data-testid=seed]").inner_text() == plan.seed
    assert page.locator("[data-testid=draw-list] tbody tr").count() == 2
    journey.shot("drawn")

    page.click("[data-testid=draw-list] tbody tr:first-child a.btn")
    page.wait_for_load_state("networkidle")
    page.fill("#id_inspected_on", "2026-04-01")
    page.select_option("#id_result", "rectify")
    page.fill("#id_findings", "财务制度不健全")
    page.fill("#id_published_on", "2026-04-10")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("result-recorded")

    journey.logout()
    journey.go(f"/public/spot-check-draws/{plan.pk}/")
    assert plan.seed in page.locator("main").inner_text()
    assert "责令整改" in page.locator("[data-testid=draw-list]").inner_text()
    journey.shot("public-draw-list")
    journey.assert_clean()
