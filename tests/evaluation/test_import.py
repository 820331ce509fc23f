"""``import_data evaluations`` / ``export_data evaluations`` (DESIGN.md contracts 3 and 4)."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from evaluation.models import Evaluation
from evaluation.resources import ITEM_CODES, EvaluationsKind
from tests.evaluation.conftest import points_for_total
from tests.factories import OrganisationFactory, indicator_system
from tests.imports.conftest import watching
from zhenhai_so.importing import export_workbook, run_import

pytestmark = pytest.mark.django_db
HEADERS = ["统一社会信用代码", "评估日期", "评估机构", *ITEM_CODES, "状态"]


def _points_by_code(total):
    system = indicator_system()
    by_id = points_for_total(system, total)
    return [float(by_id[i.pk]) for i in system.items.order_by("order")]


def _workbook(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    handle = io.BytesIO()
    workbook.save(handle)
    handle.seek(0)
    return handle


def test_import_computes_total_and_grade_and_sets_the_organisations_grade():
    organisation = OrganisationFactory()
    plan = run_import(
        EvaluationsKind(),
        _workbook(
            [[organisation.credit_code, "2019/6/1", "评估中心", *_points_by_code(905), "已公告"]]
        ),
    )
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 0}
    evaluation = Evaluation.objects.get()
    assert (evaluation.total, evaluation.grade, evaluation.state) == (905, "5A", "published")
    assert evaluation.scores.count() == 36
    assert evaluation.valid_until == datetime.date(2024, 5, 31)
    organisation.refresh_from_db()
    assert organisation.grade == "5A"


def test_import_refuses_a_score_above_the_maximum_and_writes_nothing():
    organisation = OrganisationFactory()
    points = _points_by_code(800)
    points[0] = 16  # 1.1 is worth at most 15
    plan = run_import(
        EvaluationsKind(),
        _workbook([[organisation.credit_code, "2019-06-01", "评估中心", *points, "已公告"]]),
    )
    assert [str(e) for e in plan.errors] == ["row 2: 1.1: At most 15 points for item 1.1."]
    assert not Evaluation.objects.exists()


def test_reimport_and_export_then_import_change_nothing(tmp_path):
    organisation = OrganisationFactory()
    sheet = _workbook(
        [[organisation.credit_code, "2019-06-01", "评估中心", *_points_by_code(777), "公示中"]]
    )
    run_import(EvaluationsKind(), sheet)
    sheet.seek(0)
    assert run_import(EvaluationsKind(), sheet).counts["unchanged"] == 1
    exported = tmp_path / "evaluations.xlsx"
    export_workbook(EvaluationsKind(), EvaluationsKind().export_queryset(), exported)
    plan = run_import(EvaluationsKind(), exported)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 1, "invalid": 0}


def test_import_updates_a_draft_but_never_a_published_evaluation():
    organisation = OrganisationFactory()
    first = [organisation.credit_code, "2019-06-01", "评估中心", *_points_by_code(700)]
    run_import(EvaluationsKind(), _workbook([[*first, "草稿"]]))
    plan = run_import(EvaluationsKind(), _workbook([[*first[:3], *_points_by_code(810), "已公告"]]))
    assert plan.counts["updated"] == 1
    evaluation = Evaluation.objects.get()
    assert (evaluation.total, evaluation.grade, evaluation.state) == (810, "4A", "published")
    plan = run_import(EvaluationsKind(), _workbook([[*first, "已公告"]]))
    assert plan.counts["invalid"] == 1
    evaluation.refresh_from_db()
    assert evaluation.total == 810


def test_import_query_count_does_not_grow_with_the_rows(django_assert_max_num_queries):
    """An import of new evaluations costs the same number of queries for 2 rows as for 8 (the
    audit entries' names come from the organisations loaded once, not one query per row)."""
    points = _points_by_code(905)
    organisations = [OrganisationFactory() for _ in range(10)]

    def rows(chosen, day):
        return [[o.credit_code, day, "评估中心", *points, "已公告"] for o in chosen]

    with CaptureQueriesContext(connection) as two:
        run_import(EvaluationsKind(), _workbook(rows(organisations[:2], "2019-06-01")))
    with django_assert_max_num_queries(len(two)):
        plan = run_import(EvaluationsKind(), _workbook(rows(organisations[2:], "2019-06-02")))
    assert plan.counts["new"] == 8


def test_import_loads_only_the_organisations_named_in_the_file(django_assert_max_num_queries):
    """The organisations are looked up by the credit codes of the file, however many others the
    register holds (a table of all of them made an import slower as the register grew), and a
    code typed in lower case and with spaces still finds its organisation."""
    named, unnamed = OrganisationFactory(), OrganisationFactory()
    points = _points_by_code(905)
    code = named.credit_code
    spaced = f" {code[:6].lower()} {code[6:]} "
    sheet = _workbook([
        [spaced, "2019-06-01", "评估中心", *points, "已公告"],
        ["91330211MA2XXXXXXX", "2019-06-01", "评估中心", *points, "已公告"],
        [None, "2019-06-01", "评估中心", *points, "已公告"],
    ])  # fmt: skip
    kind = watching(EvaluationsKind)()
    with CaptureQueriesContext(connection) as few:
        plan = run_import(kind, sheet, dry_run=True)
    assert kind.loaded == {code}
    assert unnamed.credit_code not in kind.loaded
    assert [str(e) for e in plan.errors] == [
        "row 3: 统一社会信用代码: No registered organisation you may see has this code.",
        "row 4: 统一社会信用代码: This column is required.",
    ]
    assert plan.counts["new"] == 1

    OrganisationFactory.create_batch(20)
    with django_assert_max_num_queries(len(few)):
        assert run_import(kind, sheet, dry_run=True).counts == plan.counts
    assert kind.loaded == {code}


def test_a_township_office_imports_for_its_own_organisations_only(
    township_user, township, other_township
):
    """The codes of the file are looked up among the organisations the user may see: another
    township's organisation is refused with the same message as an unknown code."""
    own = OrganisationFactory(township=township)
    other = OrganisationFactory(township=other_township)
    points = _points_by_code(905)
    plan = run_import(
        EvaluationsKind(),
        _workbook(
            [
                [own.credit_code, "2019-06-01", "评估中心", *points, "已公告"],
                [other.credit_code, "2019-06-01", "评估中心", *points, "已公告"],
            ]
        ),
        user=township_user,
        dry_run=True,
    )
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert [str(e) for e in plan.errors] == [
        "row 3: 统一社会信用代码: No registered organisation you may see has this code."
    ]
