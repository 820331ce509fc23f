"""双随机、一公开: a spot-check plan, a pool of inspectors, a draw pairing each drawn organisation
with two inspectors at random (never one linked to it) whose seed is shown so anyone can repeat
it, the draw list on the public pages, and the results recorded as inspections and published."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from registry import services
from registry.models import DrawnOrganisation, Inspection, Inspector, SpotCheckPlan
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def pool(township, other_township):
    here = [OrganisationFactory(township=township) for _ in range(10)]
    there = [OrganisationFactory(township=other_township) for _ in range(5)]
    inspectors = [Inspector.objects.create(name=f"检查员{i}", unit="区民政局") for i in range(5)]
    # The first inspector sits on the board of every organisation of the township.
    inspectors[0].linked_organisations.set(here)
    return here, there, inspectors


def _plan(township, **changes):
    data = {"year": 2026, "title": "2026年度社会组织双随机抽查", "org_types": ["social_group"]}
    data |= {"share": 30} if "count" not in changes else {}
    data |= changes
    return services.spot_check_plan_create(data=data, townships=[township])


def test_the_draw_takes_the_share_pairs_two_free_inspectors_and_repeats_from_its_seed(
    staff, township, pool
):
    here, there, inspectors = pool
    plan = services.spot_check_draw(plan=_plan(township), actor=staff, on=DAY)
    drawn = list(plan.drawn.prefetch_related("inspectors"))
    assert len(drawn) == 3  # 30 % of the township's 10, rounded up
    assert {d.organisation_id for d in drawn} <= {o.pk for o in here}
    for d in drawn:
        paired = [i.pk for i in d.inspectors.all()]
        assert len(paired) == 2 and inspectors[0].pk not in paired
    recorded = [(d.organisation_id, sorted(i.pk for i in d.inspectors.all())) for d in drawn]
    repeated = [(o, sorted(p)) for o, p in services.spot_check_repeat(plan)]
    assert repeated == recorded
    # Anyone holding the seed and the pools gets the same draw.
    again = services.draw_pairs(
        organisation_ids=plan.organisation_pool,
        inspectors=plan.inspector_pool,
        number=3,
        seed=plan.seed,
    )
    assert [(o, sorted(p)) for o, p in again] == recorded


def test_a_plan_is_drawn_once(staff, township, pool):
    plan = services.spot_check_draw(plan=_plan(township, count=2), actor=staff, on=DAY)
    with translation.override("en"), pytest.raises(ValidationError, match="drawn already"):
        services.spot_check_draw(plan=plan, actor=staff, on=DAY)
    assert DrawnOrganisation.objects.count() == 2


def test_staff_plan_draw_and_record_a_result_through_the_pages(
    client, client_for, staff, township, pool
):
    staff_client = client_for(staff)
    response = staff_client.post(
        reverse("registry:spot_check_create"),
        {
            "year": 2026,
            "title": "2026年度抽查",
            "org_types": ["social_group"],
            "townships": [township.pk],
            "count": 2,
        },
    )
    plan = SpotCheckPlan.objects.get()
    assert response.url == reverse("registry:spot_check_detail", args=[plan.pk])
    staff_client.post(reverse("registry:spot_check_draw", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.is_drawn
    page = staff_client.get(reverse("registry:spot_check_detail", args=[plan.pk]))
    assert plan.seed in page.content.decode()
    drawn = plan.drawn.first()
    staff_client.post(
        reverse("registry:spot_check_result", args=[drawn.pk]),
        {
            "inspected_on": "2026-04-01",
            "result": "rectify",
            "findings": "财务制度不健全",
            "published_on": "2026-04-10",
        },
    )
    drawn.refresh_from_db()
    inspection = Inspection.objects.get()
    assert drawn.inspection == inspection
    assert inspection.inspectors and "、" in inspection.inspectors
    client.logout()
    public = client.get(reverse("disclosure:spot_check_draw", args=[plan.pk])).content.decode()
    assert plan.seed in public
    assert drawn.organisation.name in public
    assert "责令整改" in public or "需整改" in public or "整改" in public
    listing = client.get(reverse("disclosure:spot_check_draws")).content.decode()
    assert plan.title in listing


def test_an_inspector_linked_to_an_organisation_is_never_paired_with_it(staff, township):
    organisation = OrganisationFactory(township=township)
    linked = Inspector.objects.create(name="有关联的检查员")
    linked.linked_organisations.add(organisation)
    free = [Inspector.objects.create(name=f"检查员{i}") for i in range(2)]
    for seed in ("a", "b", "c", "d"):
        pairs = services.draw_pairs(
            organisation_ids=[organisation.pk],
            inspectors=[(linked.pk, [organisation.pk]), *[(i.pk, []) for i in free]],
            number=1,
            seed=seed,
        )
        assert sorted(pairs[0][1]) == sorted(i.pk for i in free)
