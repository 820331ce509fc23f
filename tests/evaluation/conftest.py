"""Helpers of the evaluation tests: scores with a known total, and the whole procedure."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from evaluation import services
from tests.factories import EvaluationFactory


def points_for_total(system, total) -> dict:
    """Item id → points adding up to exactly ``total``: items filled to their maximum in order,
    the remainder on the next item, zero after it."""
    remaining = Decimal(total)
    points = {}
    for item in system.items.order_by("order"):
        given = min(item.max_points, remaining)
        points[item.pk] = given
        remaining -= given
    assert remaining == 0, "total above the system's maximum"
    return points


def run_to_notice(evaluation, total, actor=None):
    services.evaluation_save_scores(
        evaluation=evaluation, points=points_for_total(evaluation.system, total), actor=actor
    )
    services.evaluation_mark_scored(evaluation=evaluation, actor=actor)
    day = evaluation.evaluated_on
    services.evaluation_confirm(
        evaluation=evaluation, confirmed_on=day + datetime.timedelta(days=10), actor=actor
    )
    services.evaluation_start_notice(
        evaluation=evaluation,
        starts_on=day + datetime.timedelta(days=11),
        ends_on=day + datetime.timedelta(days=18),
        actor=actor,
    )
    evaluation.refresh_from_db()
    return evaluation


def publish_with_total(evaluation, total, actor=None, published_on=None):
    run_to_notice(evaluation, total, actor)
    services.evaluation_publish(
        evaluation=evaluation,
        published_on=published_on or evaluation.notice_ends_on + datetime.timedelta(days=1),
        actor=actor,
    )
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def draft(township):
    """A draft evaluation of a social group of the ``township`` fixture, on the 2018 system."""
    return EvaluationFactory(organisation__township=township)


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages in their English source; pages are checked in Chinese where it matters."""
    with translation.override("en"):
        yield
