"""Projects: every state transition allowed and refused, with who/when/why; the personnel-cost
cap on both sides of its change date; the third-party evaluation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from procurement import services
from procurement.models import PersonnelCostCap, Project, ProjectStep
from procurement.reference import load as load_caps
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

State = Project.State
ALL_STATES = list(State.values)
# action → (states it may start from, state it leads to): the rule under test, written out.
EXPECTED = {
    "approve": ({"declared"}, "approved"),
    "start": ({"approved"}, "running"),
    "review": ({"running"}, "midterm_reviewed"),
    "finish": ({"midterm_reviewed"}, "finished"),
    "terminate": ({"declared", "approved", "running", "midterm_reviewed"}, "terminated"),
}
FINISHED_ON = datetime.date(2019, 12, 20)


def _project_in(state: str) -> Project:
    extra = {"finished_on": FINISHED_ON} if state == "finished" else {}
    return ProjectFactory(state=state, **extra)


def _do(project, action, actor):
    return services.project_transition(
        project=project, action=action, actor=actor, note="理由", on=FINISHED_ON
    )


ALLOWED = [(a, s) for a, (sources, _to) in EXPECTED.items() for s in sorted(sources)]
REFUSED = [(a, s) for a, (sources, _to) in EXPECTED.items() for s in ALL_STATES if s not in sources]


@pytest.mark.parametrize(("action", "state"), ALLOWED)
def test_allowed_transition_moves_and_records_who_when_why(action, state, staff):
    project = _project_in(state)
    moved = _do(project, action, staff)
    assert moved.state == EXPECTED[action][1]
    step = ProjectStep.objects.get(project=project)
    assert (step.from_state, step.to_state, step.actor, step.note) == (
        state,
        EXPECTED[action][1],
        staff,
        "理由",
    )
    assert step.at is not None


@pytest.mark.parametrize(("action", "state"), REFUSED)
def test_refused_transition_changes_nothing(action, state, staff):
    project = _project_in(state)
    with pytest.raises(services.TransitionNotAllowed):
        _do(project, action, staff)
    project.refresh_from_db()
    assert project.state == state
    assert not ProjectStep.objects.filter(project=project).exists()


def test_the_full_road_from_declared_to_finished(staff):
    project = services.project_create(
        data={
            "channel": "venture",
            "name": "社区老人助餐",
            "buyer": "区民政局",
            "organisation": OrganisationFactory(),
            "year": 2019,
            "budget": Decimal("30000"),
            "starts_on": datetime.date(2019, 4, 1),
            "ends_on": datetime.date(2019, 12, 31),
        },
        actor=staff,
    )
    assert project.township == project.organisation.township  # defaulted from the organisation
    for action in ("approve", "start", "review", "finish"):
        project = _do(project, action, staff)
    assert project.state == "finished"
    assert project.finished_on == FINISHED_ON
    steps = list(project.steps.values_list("from_state", "to_state"))
    assert steps == [
        ("", "declared"),
        ("declared", "approved"),
        ("approved", "running"),
        ("running", "midterm_reviewed"),
        ("midterm_reviewed", "finished"),
    ]


def test_terminating_needs_a_reason(staff):
    project = _project_in("running")
    with pytest.raises(ValidationError):
        services.project_transition(project=project, action="terminate", actor=staff, note=" ")
    project.refresh_from_db()
    assert project.state == "running"


def test_finishing_needs_the_date(staff):
    project = _project_in("midterm_reviewed")
    with pytest.raises(ValidationError):
        services.project_transition(project=project, action="finish", actor=staff)
    project.refresh_from_db()
    assert project.state == "midterm_reviewed"


def test_closed_project_cannot_be_edited(staff):
    project = _project_in("terminated")
    with pytest.raises(services.TransitionNotAllowed):
        services.project_update(project=project, data={"name": "改名"}, expected_version=None)


def test_stale_edit_is_refused(staff):
    project = _project_in("declared")
    services.project_update(project=project, data={"name": "甲"}, expected_version=1)
    with pytest.raises(services.StaleEdit):
        services.project_update(project=project, data={"name": "乙"}, expected_version=1)
    project.refresh_from_db()
    assert project.name == "甲"


# ---------------------------------------------------------------------------------------------
# The personnel-cost cap (plan 三(四)3: 30 % → 60 %; the change date is data)


def _social_work(signed_on, share, staff):
    return services.project_create(
        data={
            "channel": "venture",
            "name": f"社工服务 {signed_on} {share}",
            "buyer": "区民政局",
            "organisation": OrganisationFactory(),
            "year": signed_on.year,
            "budget": Decimal("100000"),
            "contract_amount": Decimal("100000"),
            "signed_on": signed_on,
            "personnel_share": Decimal(share),
            "is_social_work": True,
            "starts_on": signed_on,
            "ends_on": signed_on + datetime.timedelta(days=300),
        },
        actor=staff,
    )


def test_reference_caps_are_30_before_and_60_from_2019():
    assert PersonnelCostCap.objects.in_force_on(datetime.date(2018, 12, 31)).cap_percent == 30
    assert PersonnelCostCap.objects.in_force_on(datetime.date(2019, 1, 1)).cap_percent == 60
    assert PersonnelCostCap.objects.in_force_on(datetime.date(2013, 12, 31)) is None


def test_loading_the_caps_twice_changes_nothing():
    before = list(PersonnelCostCap.objects.values_list("effective_from", "cap_percent"))
    load_caps()
    assert list(PersonnelCostCap.objects.values_list("effective_from", "cap_percent")) == before


@pytest.mark.parametrize(
    ("signed_on", "share", "accepted"),
    [
        (datetime.date(2018, 12, 31), "30", True),
        (datetime.date(2018, 12, 31), "30.01", False),
        (datetime.date(2018, 12, 31), "45", False),
        (datetime.date(2019, 1, 1), "45", True),
        (datetime.date(2019, 1, 1), "60", True),
        (datetime.date(2019, 1, 1), "60.5", False),
    ],
)
def test_personnel_share_is_checked_against_the_cap_in_force(signed_on, share, accepted, staff):
    if accepted:
        assert _social_work(signed_on, share, staff).pk
    else:
        with pytest.raises(ValidationError) as error:
            _social_work(signed_on, share, staff)
        assert "personnel_share" in error.value.error_dict
        assert not Project.objects.filter(personnel_share=Decimal(share)).exists()


def test_cap_change_date_is_data(staff):
    PersonnelCostCap.objects.filter(effective_from=datetime.date(2019, 1, 1)).update(
        effective_from=datetime.date(2020, 1, 1)
    )
    with pytest.raises(ValidationError):
        _social_work(datetime.date(2019, 6, 1), "45", staff)


def test_cap_does_not_apply_to_other_projects(staff):
    project = ProjectFactory(personnel_share=Decimal("80"), signed_on=datetime.date(2018, 3, 1))
    services.project_update(project=project, data={"name": "非社工项目"}, expected_version=None)


# ---------------------------------------------------------------------------------------------
# Third-party evaluation


def test_only_a_finished_project_is_evaluated(staff):
    project = _project_in("running")
    with pytest.raises(services.TransitionNotAllowed):
        services.performance_evaluation_save(
            project=project, agency="评估中心", score=Decimal(90), evaluated_on=FINISHED_ON
        )


def test_evaluation_is_recorded_and_corrected(staff):
    project = _project_in("finished")
    services.performance_evaluation_save(
        project=project, agency="评估中心", score=Decimal(90), evaluated_on=FINISHED_ON
    )
    services.performance_evaluation_save(
        project=project, agency="评估中心", score=Decimal("91.5"), evaluated_on=FINISHED_ON
    )
    project.refresh_from_db()
    assert project.performance_evaluation.score == Decimal("91.5")


def test_evaluation_score_above_100_is_refused(staff):
    project = _project_in("finished")
    with pytest.raises(ValidationError):
        services.performance_evaluation_save(
            project=project, agency="评估中心", score=Decimal(101), evaluated_on=FINISHED_ON
        )
