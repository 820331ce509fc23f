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
    # The targets' snapshots at every quarter end of the plan (as the beat task stores them),
    # so a target page's value over time is read, not computed.
    from targets.models import Plan, Snapshot, quarter_end

    plan = Plan.objects.get(code="zhenhai-2018-2020")
    ends = {quarter_end(y, q) for y in plan.years for q in (1, 2, 3, 4)}
    stored = set(
        Snapshot.objects.filter(target__plan=plan, township=None).values_list("as_of", flat=True)
    )
    assert stored == {day for day in ends if plan.starts_on <= day <= plan.ends_on}
    with pytest.raises(SystemExit):
        call_command("generate_bench_data", "--orgs", "10", stdout=out, stderr=io.StringIO())
    before = Project.objects.count()
    call_command("generate_bench_data", "--only", "procurement", stdout=out)
    assert Organisation.objects.count() == 400 and Project.objects.count() > before
