"""The objects the access walk opens: all of them belong to the ``township`` fixture's township,
so a user of ``other_township`` must get 404 for each. ``OBJECTS`` maps a URL name to the
keyword arguments it needs, read from the ``access_objects`` namespace."""

import datetime
from types import SimpleNamespace

import pytest

OBJECTS = {
    "targets:target_detail": lambda o: {"pk": o.target.pk},
    "targets:target_township": lambda o: {"pk": o.target.pk, "township_pk": o.township.pk},
    "targets:milestone_edit": lambda o: {"pk": o.milestone.pk},
    "targets:report_start": lambda o: {"year": 2020, "quarter": 4},
    "targets:report_detail": lambda o: {"pk": o.quarterly_report.pk},
    "targets:report_edit": lambda o: {"pk": o.quarterly_report.pk},
    "targets:report_review": lambda o: {"pk": o.quarterly_report.pk, "action": "accept"},
    "users:edit": lambda o: {"pk": o.user.pk},
    "users:reset_password": lambda o: {"pk": o.user.pk},
    "users:unlock": lambda o: {"pk": o.user.pk},
    "users:reset_2fa": lambda o: {"pk": o.user.pk},
    "users:request_approve": lambda o: {"pk": o.account_request.pk},
    "users:request_reject": lambda o: {"pk": o.account_request.pk},
    "registry:township_detail": lambda o: {"pk": o.township.pk},
    "registry:organisation_detail": lambda o: {"pk": o.organisation.pk},
    "registry:organisation_edit": lambda o: {"pk": o.organisation.pk},
    "registry:annual_report_edit": lambda o: {"pk": o.organisation.pk, "year": 2019},
    "registry:spot_check_detail": lambda o: {"pk": o.spot_check.plan.pk},
    "registry:spot_check_draw": lambda o: {"pk": o.spot_check.plan.pk},
    "registry:spot_check_result": lambda o: {"pk": o.spot_check.drawn.pk},
    "registry:inspector_edit": lambda o: {"pk": o.spot_check.inspector.pk},
    "disclosure:spot_check_draw": lambda o: {"pk": o.spot_check.plan.pk},
    "registry:inspection_create": lambda o: {"pk": o.organisation.pk},
    "registry:list_entry_create": lambda o: {"pk": o.organisation.pk},
    "registry:list_entry_remove": lambda o: {"pk": o.list_entry.pk},
    "registry:application_create_for": lambda o: {"org_pk": o.organisation.pk, "kind": "change"},
    "registry:application_create": lambda o: {"kind": "establish"},
    "registry:application_detail": lambda o: {"pk": o.application.pk},
    "registry:application_edit": lambda o: {"pk": o.application.pk},
    "registry:application_action": lambda o: {"pk": o.application.pk, "action": "submit"},
    "imports:start": lambda o: {"kind": "organisations"},
    "imports:export": lambda o: {"kind": "organisations"},
    "imports:job": lambda o: {"kind": "organisations", "pk": o.import_job.pk},
    "imports:apply": lambda o: {"kind": "organisations", "pk": o.import_job.pk},
    "imports:errors": lambda o: {"kind": "organisations", "pk": o.import_job.pk},
    "jobs:download_detail": lambda o: {"pk": o.download.pk},
    "jobs:download_progress": lambda o: {"pk": o.download.pk},
    "jobs:download_file": lambda o: {"pk": o.download.pk},
    "jobs:import_progress": lambda o: {"pk": o.import_job.pk},
    "procurement:project_detail": lambda o: {"pk": o.project.pk},
    "procurement:project_edit": lambda o: {"pk": o.project.pk},
    "procurement:project_action": lambda o: {"pk": o.project.pk, "action": "approve"},
    "procurement:evaluation_edit": lambda o: {"pk": o.finished_project.pk},
    "procurement:evaluation_report": lambda o: {"pk": o.finished_project.pk},
    "partybuilding:training_detail": lambda o: {"pk": o.training.pk},
    "procurement:catalogue_item_edit": lambda o: {"pk": o.party_building.catalogue_item.pk},
    "procurement:catalogue_item_delete": lambda o: {"pk": o.party_building.catalogue_item.pk},
    "procurement:recommended_edit": lambda o: {"pk": o.party_building.recommended.pk},
    "procurement:recommended_delete": lambda o: {"pk": o.party_building.recommended.pk},
    "procurement:award_edit": lambda o: {"pk": o.party_building.award.pk},
    "procurement:award_delete": lambda o: {"pk": o.party_building.award.pk},
    "procurement:brand_edit": lambda o: {"pk": o.party_building.brand.pk},
    "procurement:brand_delete": lambda o: {"pk": o.party_building.brand.pk},
    "partybuilding:party_organisation_edit": lambda o: {"pk": o.party_building.party.pk},
    "partybuilding:instructor_assign": lambda o: {"organisation_pk": o.organisation.pk},
    "partybuilding:instructor_end": lambda o: {"pk": o.party_building.assignment.pk},
    "partybuilding:site_edit": lambda o: {"pk": o.party_building.site.pk},
    "partybuilding:site_delete": lambda o: {"pk": o.party_building.site.pk},
    "partybuilding:centre_edit": lambda o: {"pk": o.party_building.centre.pk},
    "partybuilding:training_edit": lambda o: {"pk": o.training.pk},
    "partybuilding:training_delete": lambda o: {"pk": o.training.pk},
    "partybuilding:enrolment_add": lambda o: {"pk": o.training.pk},
    "partybuilding:enrolment_remove": lambda o: {
        "pk": o.party_building.enrolment.training_id,
        "enrolment_pk": o.party_building.enrolment.pk,
    },
    "evaluation:evaluation_detail": lambda o: {"pk": o.evaluation.pk},
    "evaluation:evaluation_scores": lambda o: {"pk": o.evaluation.pk},
    "evaluation:evaluation_action": lambda o: {"pk": o.evaluation.pk, "action": "scored"},
    "evaluation:review_request": lambda o: {"pk": o.evaluation.pk},
    "evaluation:certificate": lambda o: {"pk": o.published_evaluation.pk},
    "evaluation:review_decide": lambda o: {"pk": o.review.pk},
    "disclosure:organisation": lambda o: {"pk": o.organisation.pk},
    "disclosure:list_entries": lambda o: {"kind": "abnormal"},
}


@pytest.fixture
def access_objects(township, township_user, staff):
    import datetime

    from evaluation.models import Review
    from registry.models import ListEntry, RegistrationApplication
    from tests.factories import (
        EvaluationFactory,
        OrganisationFactory,
        ProjectFactory,
        TrainingFactory,
    )
    from zhenhai_so.models import Download, ImportJob
    from zhenhai_so.security.models import AccountRequest

    organisation = OrganisationFactory(township=township)
    from targets.models import Milestone, QuarterlyReport, Target

    target = Target.objects.get(plan__code="zhenhai-2018-2020", code="C7")
    return SimpleNamespace(
        target=target,
        milestone=Milestone.objects.filter(target=target).first(),
        quarterly_report=QuarterlyReport.objects.create(
            plan=target.plan, township=township, year=2020, quarter=3
        ),
        township=township,
        user=township_user,
        account_request=AccountRequest.objects.create(
            action=AccountRequest.Action.RESET_PASSWORD,
            account=township_user,
            username=township_user.username,
            role=township_user.role,
            requested_by=staff,
        ),
        organisation=organisation,
        list_entry=ListEntry.objects.create(
            organisation=organisation,
            kind="abnormal",
            reason="unreachable",
            listed_on=organisation.registered_on,
        ),
        application=RegistrationApplication.objects.create(
            kind="establish",
            township=township,
            name="拟成立组织",
            created_by=staff,
        ),
        import_job=ImportJob.objects.create(
            user=township_user,
            kind="organisations",
            state=ImportJob.State.PREVIEWED,
            file="imports/access-walk.xlsx",
            counts={"new": 1, "updated": 0, "unchanged": 0, "invalid": 1},
            # As a preview in Chinese (the default language) stores it.
            errors=[[3, "名称", "该列为必填项。"]],
            rows_total=2,
        ),
        download=Download.objects.create(
            user=township_user, kind="registry.views.organisation_export", title="社会组织"
        ),
        project=ProjectFactory(organisation=organisation),
        finished_project=_finished_project(organisation),
        training=TrainingFactory(level="township", township=township),
        party_building=_procurement_and_party_records(township, organisation),
        evaluation=EvaluationFactory(organisation=organisation),
        published_evaluation=EvaluationFactory(organisation=organisation, published=True),
        review=Review.objects.create(
            evaluation=EvaluationFactory(
                organisation=organisation,
                state="notice",
                notice_starts_on=datetime.date(2019, 7, 2),
                notice_ends_on=datetime.date(2019, 7, 9),
            ),
            requested_on=datetime.date(2019, 7, 3),
            reason="对3.2项评分有异议",
        ),
        spot_check=_spot_check(township, organisation),
    )


def _spot_check(township, organisation):
    """A drawn spot-check plan of ``township`` with its one drawn organisation and inspector."""
    from registry.models import DrawnOrganisation, Inspector, SpotCheckPlan

    plan = SpotCheckPlan.objects.create(
        year=2019, title="抽查计划", org_types=["social_group"], count=1, seed="access-walk-2019",
        organisation_pool=[organisation.pk], drawn_on=datetime.date(2019, 3, 1),
    )  # fmt: skip
    plan.townships.set([township])
    inspector = Inspector.objects.create(name="检查员")
    drawn = DrawnOrganisation.objects.create(plan=plan, position=1, organisation=organisation)
    drawn.inspectors.set([inspector])
    return SimpleNamespace(plan=plan, drawn=drawn, inspector=inspector)


def _procurement_and_party_records(township, organisation):
    """One record of each kind the procurement and party-building forms edit, all belonging
    to ``township`` (a district-level catalogue item belongs to everyone)."""
    from partybuilding import models as party
    from procurement import models as procurement

    named_on = datetime.date(2019, 6, 1)
    party_organisation = party.PartyOrganisation.objects.create(
        name="测试党支部", kind="single", township=township, established_on=named_on
    )
    party_organisation.organisations.add(organisation)
    study_class = party.Training.objects.create(
        kind="study_class", level="township", township=township, held_on=named_on,
        title="研修班", organiser="镇社会组织服务中心",
    )  # fmt: skip
    return SimpleNamespace(
        catalogue_item=procurement.CatalogueItem.objects.create(year=2019, code="A1", name="助老"),
        recommended=procurement.RecommendedEntry.objects.create(
            organisation=organisation, year=2019
        ),
        award=procurement.Award.objects.create(
            year=2019, organisation=organisation, name="测试团队", named_on=named_on
        ),
        brand=procurement.Brand.objects.create(
            name="测试品牌", level="township", township=township, named_on=named_on, year=2019
        ),
        party=party_organisation,
        assignment=party.InstructorAssignment.objects.create(
            organisation=organisation, instructor="张三", starts_on=named_on
        ),
        site=party.DemonstrationSite.objects.create(
            organisation=organisation, year=2019, named_on=named_on, name="测试示范点"
        ),
        centre=party.PartyServiceCentre.objects.create(
            name="测试党群服务中心", level="township", township=township, state="planned"
        ),
        enrolment=party.TrainingEnrolment.objects.create(
            training=study_class, organisation=organisation, person="李四"
        ),
    )


def _finished_project(organisation):
    from procurement.models import PerformanceEvaluation
    from tests.factories import ProjectFactory

    project = ProjectFactory(
        organisation=organisation, state="finished", finished_on=datetime.date(2019, 12, 20)
    )
    PerformanceEvaluation.objects.create(
        project=project, agency="宁波市社会组织评估中心", score=88, evaluated_on=project.finished_on
    )
    return project
