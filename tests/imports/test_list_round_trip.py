"""Every list page's Excel export of a kind that has an import re-imports as a no-op: its
read-only columns are ignored with a note in the preview, and every value it writes is one the
import accepts (docs/development.md, "Excel imports and exports").

Access: the list exports and the import pages have their own access tests
(``tests/imports/test_views.py``, the list pages' tests and ``tests/test_access.py``); here the
bureau staff, who may do both, exports and re-imports."""

import datetime
import io

import pytest
from django.urls import reverse

from registry.models import OrgStatus
from tests.factories import (
    AnnualReportFactory,
    EvaluationFactory,
    OrganisationFactory,
    ProjectFactory,
    TrainingFactory,
    community_of,
)
from zhenhai_so.models import ImportJob

pytestmark = pytest.mark.django_db


def _round_trip(client, list_url: str, kind: str, params=None) -> ImportJob:
    """Export the list page as staff see it, upload the file to the kind's import, preview."""
    response = client.get(list_url, {**(params or {}), "export": "xlsx"})
    assert response.status_code == 200, response
    content = b"".join(response.streaming_content)
    upload = io.BytesIO(content)
    upload.name = f"{kind}.xlsx"
    answer = client.post(reverse("imports:start", kwargs={"kind": kind}), {"file": upload})
    assert answer.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert job.state == ImportJob.State.PREVIEWED, job.message
    return job


def _assert_no_op(job: ImportJob, rows: int) -> None:
    assert job.errors == []
    assert job.counts == {"new": 0, "updated": 0, "unchanged": rows, "invalid": 0}


def test_the_register_list_export_re_imports_unchanged_with_its_grade_ignored(
    client_for, staff, township
):
    OrganisationFactory(township=township, grade="4A", grade_expires_on=datetime.date(2030, 1, 1))
    OrganisationFactory(
        township=township,
        status=OrgStatus.DEREGISTERED,
        dissolved_on=datetime.date(2020, 5, 1),
        capital=3,
        community=community_of(township),
    )
    OrganisationFactory(org_type="community", township=township, registration_mode="filed")
    client = client_for(staff)
    job = _round_trip(client, reverse("registry:organisation_list"), "organisations")
    _assert_no_op(job, 3)
    page = client.get(reverse("imports:job", args=["organisations", job.pk])).content.decode()
    assert "read-only" in page and "评估等级" in page


def test_the_annual_report_board_export_re_imports_unchanged(client_for, staff, township):
    reported = OrganisationFactory(township=township, registered_on=datetime.date(2015, 1, 1))
    AnnualReportFactory(
        organisation=reported,
        year=2019,
        submitted_on=datetime.date(2020, 4, 1),
        full_time_staff=3,
        office_independent=True,
        income=12.5,
    )
    OrganisationFactory(township=township, registered_on=datetime.date(2015, 1, 1))  # overdue
    client = client_for(staff)
    job = _round_trip(
        client, reverse("registry:annual_report_board"), "annual-reports", {"year": 2019}
    )
    _assert_no_op(job, 2)
    assert not reported.annual_reports.filter(year=2018).exists()


def test_the_evaluation_list_export_re_imports_unchanged(client_for, staff, township):
    from evaluation.models import Score

    published = EvaluationFactory(
        organisation=OrganisationFactory(township=township), published=True
    )
    items = published.system.items.all()
    Score.objects.bulk_create(
        Score(evaluation=published, item=i, points=i.max_points) for i in items
    )
    published.total = sum(i.max_points for i in items)
    published.save()
    EvaluationFactory(organisation=OrganisationFactory(township=township))
    job = _round_trip(client_for(staff), reverse("evaluation:evaluation_list"), "evaluations")
    _assert_no_op(job, 2)


def test_the_project_list_export_re_imports_unchanged(client_for, staff, township):
    ProjectFactory(organisation=OrganisationFactory(township=township), personnel_share=30)
    ProjectFactory(
        organisation=OrganisationFactory(township=township), is_social_work=True, state="running"
    )
    job = _round_trip(client_for(staff), reverse("procurement:project_list"), "projects")
    _assert_no_op(job, 2)


def test_the_party_organisation_list_export_re_imports_unchanged(client_for, staff, township):
    from partybuilding.models import PartyOrganisation

    first, second = OrganisationFactory.create_batch(2, township=township)
    party = PartyOrganisation.objects.create(
        name="镇海区测试联合党支部",
        kind="joint",
        township=township,
        established_on=datetime.date(2018, 7, 1),
        secretary="王五",
    )
    party.organisations.set([first, second])
    job = _round_trip(client_for(staff), reverse("partybuilding:party_organisation_list"), "party")
    _assert_no_op(job, 1)


def test_the_training_list_export_re_imports_unchanged(client_for, staff, township):
    TrainingFactory(township=township, level="township")
    TrainingFactory(township=None, level="district")
    job = _round_trip(client_for(staff), reverse("partybuilding:training_list"), "trainings")
    _assert_no_op(job, 2)


def test_read_only_columns_are_marked_in_the_export_and_ignored_marked_or_not(
    client_for, staff, org_row
):
    from openpyxl import load_workbook

    from .conftest import ORG_HEADERS, xlsx

    client = client_for(staff)
    response = client.get(reverse("registry:organisation_list"), {"export": "xlsx"})
    headers = next(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert headers[-1] == "评估等级（只读）"
    upload = xlsx([{**org_row(1), "评估等级": "5A"}], headers=[*ORG_HEADERS, "评估等级"])
    client.post(reverse("imports:start", kwargs={"kind": "organisations"}), {"file": upload})
    job = ImportJob.objects.latest("pk")
    assert (job.state, job.ignored_columns) == ("previewed", ["评估等级"])
    assert job.counts["new"] == 1
