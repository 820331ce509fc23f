"""The status rules of ``docs/targets.md`` at their edges, on the pure functions."""

import datetime
from decimal import Decimal as D

from targets.models import Status
from targets.progress import (
    annual_year_status,
    expected_value,
    overall_annual_status,
    status_for,
)

BASE_DATE = datetime.date(2018, 6, 30)
DEADLINE = datetime.date(2020, 12, 31)
# Half-way between baseline date and deadline: 915 days span, 457 elapsed is not exact, so use a
# date whose expected value is known exactly: the span is 915 days; 183 days is one fifth.
FIFTH = BASE_DATE + datetime.timedelta(days=183)


def status(value, as_of, comparator="gte", goal=D(100), baseline=D(50), goal_max=None):
    return status_for(
        value=value, comparator=comparator, goal=goal, goal_max=goal_max, baseline=baseline,
        baseline_date=BASE_DATE, deadline=DEADLINE, as_of=as_of,
    )  # fmt: skip


def test_expected_value_is_the_straight_line():
    assert (DEADLINE - BASE_DATE).days == 915
    assert expected_value(
        baseline=D(50), baseline_date=BASE_DATE, goal=D(100), deadline=DEADLINE, as_of=FIFTH
    ) == D(60)


def test_value_exactly_on_the_line_is_on_track():
    result = status(D(60), FIFTH)
    assert (result.status, result.expected, result.ratio) == (Status.ON_TRACK, D(60), D(1))


def test_ratio_edges():
    # ratio = (value − 50) ÷ (60 − 50)
    assert status(D("59.5"), FIFTH).status == Status.ON_TRACK  # 0.95
    assert status(D("59.4"), FIFTH).status == Status.AT_RISK  # 0.94
    assert status(D(56), FIFTH).status == Status.AT_RISK  # 0.60
    assert status(D("55.9"), FIFTH).status == Status.OFF_TRACK  # 0.59
    assert status(D(50), FIFTH).status == Status.OFF_TRACK  # 0
    assert status(D("49.9"), FIFTH).status == Status.DETERIORATING  # below 0


def test_meeting_the_comparator_is_achieved_at_any_time():
    assert status(D(100), FIFTH).status == Status.ACHIEVED
    assert status(D(100), DEADLINE + datetime.timedelta(days=400)).status == Status.ACHIEVED


def test_on_the_deadline_day_itself_a_target_not_achieved_is_missed():
    """The figures are final on the deadline day: never "on track" beside the final state."""
    day_before = DEADLINE - datetime.timedelta(days=1)
    assert status(D(99), day_before).status == Status.ON_TRACK  # ratio ≈ 0.98
    assert status(D(99), DEADLINE).status == Status.MISSED
    assert status(D(99), DEADLINE + datetime.timedelta(days=1)).status == Status.MISSED


def test_on_or_before_the_baseline_date_holding_the_baseline_is_on_track():
    assert status(D(50), BASE_DATE).status == Status.ON_TRACK
    assert status(D(49), BASE_DATE).status == Status.DETERIORATING
    assert status(D(50), datetime.date(2018, 1, 1)).status == Status.ON_TRACK


def test_equal_comparator_needs_the_exact_value():
    assert status(D(100), FIFTH, comparator="eq").status == Status.ACHIEVED
    assert status(D("99.99"), DEADLINE + datetime.timedelta(days=1), comparator="eq").status == (
        Status.MISSED
    )


def test_lower_is_better_targets():
    # From 50 down to 10: expected on FIFTH is 42.
    result = status(D(42), FIFTH, comparator="lte", goal=D(10))
    assert (result.status, result.expected) == (Status.ON_TRACK, D(42))
    assert status(D(51), FIFTH, comparator="lte", goal=D(10)).status == Status.DETERIORATING
    assert status(D(10), FIFTH, comparator="lte", goal=D(10)).status == Status.ACHIEVED


def test_range_targets_inside_above_and_below():
    kwargs = {"comparator": "range", "goal": D(3), "goal_max": D(6), "baseline": D(0)}
    assert status(D(3), FIFTH, **kwargs).status == Status.ACHIEVED
    assert status(D(6), FIFTH, **kwargs).status == Status.ACHIEVED
    assert status(D(7), FIFTH, **kwargs).status == Status.ACHIEVED_ABOVE
    assert status(D(2), DEADLINE + datetime.timedelta(days=1), **kwargs).status == Status.MISSED


def test_no_value_is_no_data_and_tracked_targets_have_no_verdict():
    assert status(None, FIFTH).status == Status.NO_DATA
    assert status(D(5), FIFTH, comparator="tracked", goal=None).status == Status.TRACKED


def test_annual_year_running_is_pro_rated_by_days_elapsed():
    # ≥ 10 a year; half the year gone: 5 is on track, 4 at risk (0.8), 2 off track, 10 achieved.
    half = D("0.5")
    for value, expected in [(5, Status.ON_TRACK), (4, Status.AT_RISK), (2, Status.OFF_TRACK),
                            (10, Status.ACHIEVED)]:  # fmt: skip
        result = annual_year_status(
            value=D(value), comparator="gte", goal=D(10), fraction=half, finished=False
        )
        assert result.status == expected, value


def test_annual_year_finished_is_achieved_or_missed():
    common = {"comparator": "gte", "goal": D(1), "fraction": D(1), "finished": True}
    assert annual_year_status(value=D(1), **common).status == Status.ACHIEVED
    assert annual_year_status(value=D(0), **common).status == Status.MISSED


def test_annual_range_above_and_growth_above_zero():
    above = annual_year_status(
        value=D(16), comparator="range", goal=D(10), goal_max=D(15), fraction=D(1), finished=True
    )
    assert above.status == Status.ACHIEVED_ABOVE
    flat = annual_year_status(
        value=D(0), comparator="gt", goal=D(0), fraction=D("0.5"), finished=False
    )
    assert flat.status == Status.AT_RISK
    assert (
        annual_year_status(
            value=D(0), comparator="gt", goal=D(0), fraction=D(1), finished=True
        ).status
        == Status.MISSED
    )


def test_overall_annual_status():
    A, M, T = Status.ACHIEVED, Status.MISSED, Status.ON_TRACK
    assert overall_annual_status([A, A, A]) == A
    assert overall_annual_status([A, M, A]) == M
    assert overall_annual_status([A, A, T]) == T
    assert overall_annual_status([A, Status.AT_RISK, Status.NOT_STARTED]) == Status.AT_RISK
    assert overall_annual_status([Status.NOT_STARTED] * 3) == Status.NOT_STARTED
    assert overall_annual_status([Status.NO_DATA, Status.NOT_STARTED]) == Status.NO_DATA
