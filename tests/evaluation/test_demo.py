"""The demo evaluations on organisations made here (the register's demo is not needed): exactly
165 organisations evaluated by 2017-12-31 with the plan's grades, and evaluations through 2020."""

import datetime
import random

import pytest
from django.db.models import Count

from evaluation import demo
from evaluation.models import Evaluation
from registry.models import Organisation, OrgType
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
END_2017 = datetime.date(2017, 12, 31)


class Ctx:
    rng = random.Random(20181026)


def _district():
    """420 legal organisations registered 2000-2016, some dissolved, and 40 filed ones."""
    rng = random.Random(1)
    for n in range(420):
        OrganisationFactory(
            org_type=OrgType.PRIVATE_NON_ENTERPRISE if n % 3 else OrgType.SOCIAL_GROUP,
            registered_on=datetime.date(2000 + n % 17, 1 + n % 12, 1),
            **(
                {"dissolved_on": datetime.date(2017, 6, 30), "status": "deregistered"}
                if n % 50 == 7
                else {}
            ),
        )
    OrganisationFactory.create_batch(40, org_type=OrgType.COMMUNITY)
    return rng


@pytest.mark.slow
def test_demo_gives_the_plans_figures_at_the_end_of_2017():
    _district()
    lines = demo.load(Ctx())
    assert lines[0].startswith("evaluation: 165 organisations evaluated by 2017-12-31")

    by_end_2017 = Evaluation.objects.published_on_or_before(END_2017)
    assert by_end_2017.values("organisation").distinct().count() == 165
    assert set(
        by_end_2017.filter(organisation__in=Organisation.objects.legal_on(END_2017)).values_list(
            "organisation", flat=True
        )
    ) == set(by_end_2017.values_list("organisation", flat=True))
    grades = dict(by_end_2017.values_list("grade").annotate(n=Count("id")).order_by())
    assert (grades["5A"], grades["4A"], grades["3A"]) == (23, 28, 63)
    assert grades["2A"] + grades["1A"] == 165 - 23 - 28 - 63

    per_year = dict(
        Evaluation.objects.filter(year__gte=2018).values_list("year").annotate(n=Count("id"))
    )
    assert all(40 <= per_year[y] <= 60 for y in (2018, 2019, 2020))
    assert Evaluation.objects.exclude(state="published").filter(year=2020).count() == 7
    # The organisation's grade is the newest published one's.
    organisation = Organisation.objects.exclude(grade="").first()
    newest = organisation.evaluations.published().order_by("-published_on").first()
    assert organisation.grade == newest.grade
    # Loading again changes nothing.
    assert demo.load(Ctx())[0].startswith("evaluation: evaluations exist already")
