"""Publishing fixes the grade from the thresholds (900/800/700/600/500 in both fixture versions)
and its validity, and writes the organisation's current grade."""

import datetime
from decimal import Decimal

import pytest

from evaluation.models import grade_for
from tests.evaluation.conftest import publish_with_total
from tests.factories import EvaluationFactory, OrganisationFactory, indicator_system

pytestmark = pytest.mark.django_db

# (total, grade): each threshold gives its grade; one point less gives the grade below.
CASES = [
    (1000, "5A"),
    (900, "5A"),
    (899, "4A"),
    (800, "4A"),
    (799, "3A"),
    (700, "3A"),
    (699, "2A"),
    (600, "2A"),
    (599, "1A"),
    (500, "1A"),
    (499, ""),
    (0, ""),
]


@pytest.mark.parametrize(("total", "grade"), CASES)
def test_published_total_on_and_below_each_threshold_gives_the_expected_grade(total, grade):
    evaluation = publish_with_total(EvaluationFactory(), total)
    assert evaluation.total == Decimal(total)
    assert evaluation.grade == grade


def test_half_point_below_a_threshold_is_the_grade_below():
    thresholds = list(indicator_system().thresholds.all())
    assert grade_for(Decimal("899.5"), thresholds) == "4A"
    assert grade_for(Decimal("900.0"), thresholds) == "5A"


def test_publishing_sets_five_years_validity_and_the_organisations_grade():
    evaluation = publish_with_total(
        EvaluationFactory(evaluated_on=datetime.date(2019, 3, 1)),
        850,
        published_on=datetime.date(2019, 4, 1),
    )
    assert evaluation.valid_until == datetime.date(2024, 3, 31)
    organisation = evaluation.organisation
    organisation.refresh_from_db()
    assert (organisation.grade, organisation.grade_expires_on) == ("4A", datetime.date(2024, 3, 31))


def test_newest_published_evaluation_wins_even_when_published_out_of_order():
    organisation = OrganisationFactory()
    newer = EvaluationFactory(organisation=organisation, evaluated_on=datetime.date(2020, 5, 1))
    older = EvaluationFactory(organisation=organisation, evaluated_on=datetime.date(2015, 5, 1))
    publish_with_total(newer, 720)  # 3A, published 2020
    publish_with_total(older, 950)  # 5A, published 2015: older, must not win
    organisation.refresh_from_db()
    assert organisation.grade == "3A"
    assert organisation.grade_expires_on == newer.valid_until


def test_a_published_result_below_1a_clears_the_organisations_grade():
    organisation = OrganisationFactory()
    publish_with_total(
        EvaluationFactory(organisation=organisation, evaluated_on=datetime.date(2014, 5, 1)), 910
    )
    publish_with_total(
        EvaluationFactory(organisation=organisation, evaluated_on=datetime.date(2019, 5, 1)), 450
    )
    organisation.refresh_from_db()
    assert (organisation.grade, organisation.grade_expires_on) == ("", None)
