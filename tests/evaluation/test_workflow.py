"""The national procedure: allowed moves, refused moves, the review during the notice."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluation import services
from evaluation.models import Evaluation
from tests.evaluation.conftest import points_for_total, run_to_notice

pytestmark = pytest.mark.django_db
State = Evaluation.State
DAY = datetime.date(2019, 6, 1)


@pytest.fixture
def committee_member(db):
    from tests.factories import make_user
    from zhenhai_so.roles import Role

    return make_user("committee_member", Role.BUREAU_STAFF)


def test_a_draft_with_unscored_items_cannot_be_marked_scored(draft):
    item = draft.system.items.first()
    services.evaluation_save_scores(evaluation=draft, points={item.pk: 1})
    with pytest.raises(ValidationError, match="1 of 36 items"):
        services.evaluation_mark_scored(evaluation=draft)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (services.evaluation_confirm, {"confirmed_on": DAY}),
        (services.evaluation_start_notice, {"starts_on": DAY, "ends_on": DAY}),
        (services.evaluation_publish, {"published_on": DAY}),
        (services.evaluation_reopen, {}),
    ],
    ids=["confirm", "notice", "publish", "reopen"],
)
def test_a_draft_cannot_skip_steps(draft, call, kwargs):
    with pytest.raises(services.TransitionNotAllowed):
        call(evaluation=draft, **kwargs)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_scored_can_be_reopened_and_scored_again(draft):
    services.evaluation_save_scores(evaluation=draft, points=points_for_total(draft.system, 750))
    services.evaluation_mark_scored(evaluation=draft)
    services.evaluation_reopen(evaluation=draft)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert list(draft.steps.values_list("to_state", flat=True)) == ["scored", "draft"]


def test_confirmed_scores_are_locked_until_a_review_opens(draft, staff):
    evaluation = run_to_notice(draft, 790)
    item = evaluation.system.items.get(code="9.1")
    with pytest.raises(services.TransitionNotAllowed):
        services.evaluation_save_scores(evaluation=evaluation, points={item.pk: 0})
    # the organisation asks for a review: the committee may correct the scores
    services.review_request(
        evaluation=evaluation, requested_on=evaluation.notice_starts_on, reason="9.1 偏低"
    )
    with pytest.raises(ValidationError, match="Decide the open review"):
        services.evaluation_publish(evaluation=evaluation, published_on=evaluation.notice_ends_on)
    # 790 fills the items in order, so 9.1 (35 points, near the end) had 0: the committee
    # finds for the organisation and gives it in full, which lifts the total to 825 (4A).
    services.evaluation_save_scores(evaluation=evaluation, points={item.pk: item.max_points})
    review = services.review_decide(
        review=evaluation.reviews.get(), decided_on=evaluation.notice_ends_on, note="复核属实"
    )
    assert (review.grade_before, review.grade_after, review.decision) == ("3A", "4A", "changed")
    services.evaluation_publish(
        evaluation=evaluation, published_on=evaluation.notice_ends_on + datetime.timedelta(days=1)
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.grade) == (State.PUBLISHED, "4A")


def test_a_review_kept_records_the_same_grade(draft):
    evaluation = run_to_notice(draft, 905)
    services.review_request(
        evaluation=evaluation, requested_on=evaluation.notice_ends_on, reason="要求复核"
    )
    review = services.review_decide(
        review=evaluation.reviews.get(), decided_on=evaluation.notice_ends_on, note="维持"
    )
    assert (review.decision, review.grade_after) == ("kept", "5A")


def test_a_review_is_refused_before_the_notice(township):
    from tests.factories import EvaluationFactory

    with pytest.raises(services.TransitionNotAllowed):
        services.review_request(evaluation=EvaluationFactory(), requested_on=DAY, reason="早")


def test_a_review_is_refused_after_the_notice(draft):
    evaluation = run_to_notice(draft, 700)
    with pytest.raises(ValidationError):
        services.review_request(
            evaluation=evaluation,
            requested_on=evaluation.notice_ends_on + datetime.timedelta(days=1),
            reason="逾期",
        )


def test_publication_waits_for_the_end_of_the_notice(draft):
    evaluation = run_to_notice(draft, 700)
    with pytest.raises(ValidationError):
        services.evaluation_publish(
            evaluation=evaluation,
            published_on=evaluation.notice_ends_on - datetime.timedelta(days=1),
        )


def test_only_legal_organisations_on_a_fitting_system_are_evaluated(township):
    from registry.models import OrgType
    from tests.factories import OrganisationFactory, indicator_system

    filed = OrganisationFactory(org_type=OrgType.COMMUNITY, township=township)
    with pytest.raises(ValidationError):
        services.evaluation_create(
            organisation=filed, system=indicator_system(), agency="评估中心", evaluated_on=DAY
        )


def test_steps_through_the_pages(client_for, staff, committee_member, draft):
    client = client_for(staff)
    services.evaluation_save_scores(evaluation=draft, points=points_for_total(draft.system, 830))
    act = lambda action, **data: client.post(  # noqa: E731
        reverse("evaluation:evaluation_action", args=[draft.pk, action]), data
    )
    assert act("scored").status_code == 302
    client = client_for(committee_member)  # the one who scored may not confirm
    act("confirm", confirmed_on="2019-06-10")
    act("notice", starts_on="2019-06-11", ends_on="2019-06-18")
    act("publish", published_on="2019-06-10")  # refused: before the notice ends
    draft.refresh_from_db()
    assert draft.state == State.NOTICE
    act("publish", published_on="2019-06-20")
    draft.refresh_from_db()
    assert (draft.state, draft.grade, draft.valid_until) == (
        State.PUBLISHED,
        "4A",
        datetime.date(2024, 6, 19),
    )
    response = client.get(reverse("evaluation:certificate", args=[draft.pk]))
    assert b'data-testid="certificate-grade">4A<' in response.content


def test_the_action_view_refuses_unknown_actions(client_for, staff, draft):
    response = client_for(staff).post(
        reverse("evaluation:evaluation_action", args=[draft.pk, "delete"])
    )
    assert response.status_code == 404


def test_the_one_who_scored_cannot_confirm(draft, staff, committee_member):
    services.evaluation_save_scores(evaluation=draft, points=points_for_total(draft.system, 750))
    services.evaluation_mark_scored(evaluation=draft, actor=staff)
    with pytest.raises(ValidationError, match="another member"):
        services.evaluation_confirm(evaluation=draft, confirmed_on=DAY, actor=staff)
    services.evaluation_confirm(evaluation=draft, confirmed_on=DAY, actor=committee_member)
    draft.refresh_from_db()
    assert draft.state == State.CONFIRMED


def test_the_page_says_who_may_confirm(client_for, draft, staff, committee_member):
    services.evaluation_save_scores(evaluation=draft, points=points_for_total(draft.system, 750))
    services.evaluation_mark_scored(evaluation=draft, actor=staff)
    url = reverse("evaluation:evaluation_detail", args=[draft.pk])
    mine = client_for(staff).get(url)
    assert mine.context["may_confirm"] is False
    assert "/confirm/" not in mine.content.decode()
    assert str(staff) in mine.content.decode()
    theirs = client_for(committee_member).get(url)
    assert theirs.context["may_confirm"] is True
    assert "/confirm/" in theirs.content.decode()


def test_publication_waits_until_the_notice_period_is_over(draft):
    evaluation = run_to_notice(draft, 700)
    with pytest.raises(ValidationError, match="after the public notice"):
        services.evaluation_publish(evaluation=evaluation, published_on=evaluation.notice_ends_on)
    services.evaluation_publish(
        evaluation=evaluation, published_on=evaluation.notice_ends_on + datetime.timedelta(days=1)
    )


def test_a_grade_is_not_published_while_its_notice_runs(client_for, township, staff):
    from django.utils import timezone

    from tests.factories import EvaluationFactory

    today = timezone.localdate()
    evaluation = EvaluationFactory(
        organisation__township=township, evaluated_on=today - datetime.timedelta(days=30)
    )
    run_to_notice(evaluation, 700)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        notice_starts_on=today, notice_ends_on=today + datetime.timedelta(days=7)
    )
    client = client_for(staff)
    page = client.get(reverse("evaluation:evaluation_detail", args=[evaluation.pk]))
    opens = (today + datetime.timedelta(days=8)).isoformat()
    assert opens in page.content.decode()
    assert page.context["publish_from"] == today + datetime.timedelta(days=8)
    for day in (today, today + datetime.timedelta(days=8)):  # now, and in the future
        client.post(
            reverse("evaluation:evaluation_action", args=[evaluation.pk, "publish"]),
            {"published_on": day.isoformat()},
        )
        evaluation.refresh_from_db()
        assert evaluation.state == State.NOTICE
        assert not evaluation.organisation.grade
