"""``generate_bench_data`` on a small district: every app's benchmark data is there and
consistent (the command is otherwise only run by ``make bench-data``)."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_generate_bench_data_builds_every_apps_data_and_refuses_a_second_run():
    from evaluation.models import Evaluation, Score
    from partybuilding.models import PartyOrganisation, Training
    from procurement.models import Project
    from registry.models import AnnualReport, Organisation

    out = io.StringIO()
    call_command("generate_bench_data", "--orgs", "400", stdout=out)
    assert Organisation.objects.filter(name__startswith="基准测试").count() == 400
    assert set(AnnualReport.objects.values_list("year", flat=True)) == set(range(2016, 2021))
    assert Project.objects.exists() and PartyOrganisation.objects.exists()
    assert Training.objects.exists()
    evaluations = Evaluation.objects.all()
    assert evaluations.exists()
    assert Score.objects.count() == 36 * evaluations.count()
    # The organisations' stored grade is their newest published evaluation's.
    for organisation in Organisation.objects.filter(evaluations__isnull=False).distinct()[:20]:
        newest = (
            organisation.evaluations.published()
            .order_by("-published_on", "-evaluated_on", "-id")
            .first()
        )
        assert organisation.grade == (newest.grade if newest else "")
    # The targets' stored series (as the refresh task stores them), so every page reads them:
    # for the district, every target of the plan from the plan's start on.
    from targets.models import Plan, Series, TargetValue

    plan = Plan.objects.get(code="zhenhai-2018-2020")
    district = Series.objects.filter(target__plan=plan, township=None)
    assert set(district.values_list("target__code", flat=True)) == set(
        plan.targets.values_list("code", flat=True)
    )
    first = TargetValue.objects.filter(series__in=district, series__year=0).order_by("valid_from")
    assert first.first().valid_from == plan.starts_on
    with pytest.raises(SystemExit):
        call_command("generate_bench_data", "--orgs", "10", stdout=out, stderr=io.StringIO())
    before = Project.objects.count()
    call_command("generate_bench_data", "--only", "procurement", stdout=out)
    assert Organisation.objects.count() == 400 and Project.objects.count() > before
