"""The evaluations import's bulk paths (issue 9): scores written as plain rows (COPY on
PostgreSQL, bulk_create elsewhere), the organisations' grades refreshed in one UPDATE, and a
large file still refused whole with the row number of its one bad cell."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import Workbook

from evaluation.models import Evaluation, Score
from evaluation.resources import ITEM_CODES, SCORE_COLUMNS, EvaluationsKind, refresh_grades
from registry.models import Organisation
from tests.conftest import require_service
from tests.evaluation.conftest import points_for_total
from tests.factories import EvaluationFactory, OrganisationFactory, indicator_system
from zhenhai_so import bulk, dataversion
from zhenhai_so.importing import run_import

pytestmark = pytest.mark.django_db
HEADERS = ["统一社会信用代码", "评估日期", "评估机构", *ITEM_CODES, "状态"]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", f"tests run on {connection.vendor}; set DATABASE_URL")


def _points(total) -> list[float]:
    system = indicator_system()
    by_id = points_for_total(system, total)
    return [float(by_id[i.pk]) for i in system.items.order_by("order")]


def _workbook(rows) -> io.BytesIO:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    handle = io.BytesIO()
    workbook.save(handle)
    handle.seek(0)
    return handle


def _stored_scores(evaluations) -> list[list[tuple[str, Decimal]]]:
    return [
        sorted((s.item.code, s.points) for s in e.scores.select_related("item"))
        for e in evaluations
    ]


def test_insert_values_copies_what_bulk_create_writes(postgres, monkeypatch):
    """The same (evaluation, item, points) rows by COPY and by bulk_create store the same
    scores, and a COPY into the scores table changes the targets' data version."""
    items = list(indicator_system().items.order_by("order"))
    evaluations = [EvaluationFactory() for _ in range(2 * 15)]
    copied, created = evaluations[:15], evaluations[15:]

    def rows(chosen):
        return [
            (e.pk, item.pk, Decimal(n % 11) / 2)
            for e in chosen
            for n, item in enumerate(items)
            if n != 5  # one item left unscored
        ]

    assert len(rows(copied)) >= bulk.COPY_MIN_ROWS  # so the COPY path is the one taken
    before = dataversion.data_version()
    bulk.insert_values(Score, SCORE_COLUMNS, rows(copied))
    assert dataversion.data_version() != before
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 10**9)
    bulk.insert_values(Score, SCORE_COLUMNS, rows(created))
    assert _stored_scores(copied) == _stored_scores(created)
    assert _stored_scores(copied)[0][:3] == [("1.1", 0), ("1.2", Decimal("0.5")), ("1.3", 1)]
    assert Score.objects.count() == 2 * 15 * 35
    # the sequence moved on: an ordinary insert after the COPY does not collide
    assert Score.objects.create(evaluation=created[0], item=items[5], points=1).pk > max(
        Score.objects.exclude(item=items[5]).values_list("pk", flat=True)
    )


def test_insert_values_takes_attnames_only():
    with pytest.raises(ValueError, match="attnames"):
        bulk.insert_values(Score, ("evaluation", "item", "points"), [])


def test_a_large_import_stores_every_score_as_in_the_sheet():
    """Enough rows for the COPY path on PostgreSQL (bulk_create elsewhere): every evaluation has
    exactly the sheet's 36 scores, its total is their sum and its grade follows from it."""
    organisations = [OrganisationFactory() for _ in range(20)]
    totals = [905, 777, 650, 450]
    plan = run_import(
        EvaluationsKind(),
        _workbook(
            [o.credit_code, "2019-06-01", "评估中心", *_points(totals[n % 4]), "已公告"]
            for n, o in enumerate(organisations)
        ),
    )
    assert plan.counts == {"new": 20, "updated": 0, "unchanged": 0, "invalid": 0}
    assert Score.objects.count() == 20 * 36 >= bulk.COPY_MIN_ROWS
    items = list(indicator_system().items.order_by("order"))
    for n, organisation in enumerate(organisations):
        evaluation = Evaluation.objects.get(organisation=organisation)
        expected = sorted(
            (item.code, Decimal(str(p)))
            for item, p in zip(items, _points(totals[n % 4]), strict=True)
        )
        assert _stored_scores([evaluation]) == [expected]
        assert evaluation.total == totals[n % 4]
    assert [o.grade for o in Organisation.objects.filter(pk__in=[o.pk for o in organisations[:4]])
            .order_by("pk")] == ["5A", "3A", "2A", ""]  # fmt: skip


def test_an_invalid_score_on_row_4000_refuses_the_whole_file():
    organisations = [OrganisationFactory() for _ in range(100)]
    good = _points(800)
    bad = list(good)
    bad[0] = 15.5  # 1.1 is worth at most 15
    rows = []
    for n in range(3999):  # rows 2 … 4000 of the sheet
        organisation = organisations[n % 100]
        day = datetime.date(2019, 1, 1) + datetime.timedelta(days=n // 100)
        rows.append(
            [organisation.credit_code, day, "评估中心", *(bad if n == 3998 else good), "已公告"]
        )
    plan = run_import(EvaluationsKind(), _workbook(rows))
    assert [str(e) for e in plan.errors] == ["row 4000: 1.1: At most 15 points for item 1.1."]
    assert plan.counts == {"new": 3998, "updated": 0, "unchanged": 0, "invalid": 1}
    assert not Evaluation.objects.exists()
    assert not Score.objects.exists()


def test_refresh_grades_takes_the_newest_published_evaluation():
    """As services.organisation_refresh_grade: the latest publication wins (then the evaluation
    date), a result below every grade clears the grade and its expiry, and an organisation
    without a published evaluation keeps what it has."""
    later, cleared, untouched, other = (OrganisationFactory() for _ in range(4))
    EvaluationFactory(organisation=later, published=True, grade="3A")
    EvaluationFactory(
        organisation=later,
        published=True,
        grade="4A",
        evaluated_on=datetime.date(2019, 5, 1),  # evaluated earlier, published later
        published_on=datetime.date(2019, 8, 1),
        valid_until=datetime.date(2024, 7, 31),
    )
    EvaluationFactory(organisation=later, grade="5A")  # a draft counts for nothing
    EvaluationFactory(organisation=cleared, published=True, grade="", total=300)
    Organisation.objects.filter(pk=cleared.pk).update(
        grade="2A", grade_expires_on=datetime.date(2023, 1, 1)
    )
    EvaluationFactory(organisation=untouched)
    Organisation.objects.filter(pk=untouched.pk).update(
        grade="1A", grade_expires_on=datetime.date(2022, 1, 1)
    )
    EvaluationFactory(organisation=other, published=True)  # not among the ids: left alone

    refresh_grades([later.pk, cleared.pk, untouched.pk])

    grades = dict(Organisation.objects.values_list("pk", "grade"))
    expiry = dict(Organisation.objects.values_list("pk", "grade_expires_on"))
    assert grades == {later.pk: "4A", cleared.pk: "", untouched.pk: "1A", other.pk: ""}
    assert expiry[later.pk] == datetime.date(2024, 7, 31)
    assert expiry[cleared.pk] is None
    assert expiry[untouched.pk] == datetime.date(2022, 1, 1)
    assert expiry[other.pk] is None


def test_score_cells_are_judged_by_value_and_type_in_every_row():
    """Score conversions are remembered per import: a TRUE cell is not taken for the 1 seen
    before it, and a repeated bad cell is refused on every row it is on."""
    organisations = [OrganisationFactory() for _ in range(4)]
    points = _points(800)
    whole = next(n for n, p in enumerate(points) if p >= 1)  # an item worth at least 1 point
    code = ITEM_CODES[whole]

    def sheet(*cells):
        rows = []
        for organisation, cell in zip(organisations, cells, strict=True):
            row = [organisation.credit_code, "2019-06-01", "评估中心", *points, "草稿"]
            row[3 + whole] = cell
            rows.append(row)
        return _workbook(rows)

    plan = run_import(EvaluationsKind(), sheet(1.0, 1, True, "x"))
    assert [str(e) for e in plan.errors] == [
        f"row 4: {code}: Not a number: True.",
        f"row 5: {code}: Not a number: x.",
    ]
    plan = run_import(EvaluationsKind(), sheet("x", 1, "x", 1.5))
    assert [str(e) for e in plan.errors] == [
        f"row 2: {code}: Not a number: x.",
        f"row 4: {code}: Not a number: x.",
    ]
    assert not Evaluation.objects.exists()


def test_every_imported_evaluation_has_its_audit_entry(django_user_model):
    """Who, when, from where and what, per evaluation, as the auditlog signals would have
    written it (the organisation's name comes from the rows loaded once)."""
    from auditlog.models import LogEntry

    user = django_user_model.objects.create_superuser("importer", password="x")  # noqa: S106
    organisations = [OrganisationFactory() for _ in range(3)]
    run_import(
        EvaluationsKind(),
        _workbook(
            [o.credit_code, "2019-06-01", "评估中心", *_points(905), "已公告"]
            for o in organisations
        ),
        user=user,
        remote_addr="10.0.0.7",
    )
    entries = LogEntry.objects.get_for_model(Evaluation).order_by("object_id")
    evaluations = list(Evaluation.objects.order_by("pk"))
    assert [(e.object_id, e.object_repr, e.actor_id, e.remote_addr, e.action) for e in entries] == [
        (v.pk, f"{o.name} 2019", user.pk, "10.0.0.7", LogEntry.Action.CREATE)
        for v, o in zip(evaluations, organisations, strict=True)
    ]
    assert entries[0].changes["organisation"] == ["None", str(organisations[0].pk)]
    assert entries[0].changes["grade"] == ["None", "5A"]
    assert entries[0].timestamp is not None


def test_updating_many_drafts_replaces_every_changed_score():
    """40 drafts with all 36 scores changed: 1,440 replaced scores in one statement per item
    list, not one condition per score; unchanged scores stay as they were."""
    organisations = [OrganisationFactory() for _ in range(40)]
    before = [0.0] * len(ITEM_CODES)
    before[-1] = 1.0  # stays: item 9.4 keeps its point
    after = _points(905)
    after[-1] = 1.0

    def sheet(points, state):
        return _workbook(
            [o.credit_code, "2019-06-01", "评估中心", *points, state] for o in organisations
        )

    run_import(EvaluationsKind(), sheet(before, "草稿"))
    kept = set(Score.objects.filter(item__code="9.4").values_list("pk", flat=True))
    plan = run_import(EvaluationsKind(), sheet(after, "已评分"))
    assert plan.counts == {"new": 0, "updated": 40, "unchanged": 0, "invalid": 0}
    items = list(indicator_system().items.order_by("order"))
    expected = sorted((i.code, Decimal(str(p))) for i, p in zip(items, after, strict=True))
    evaluations = list(Evaluation.objects.order_by("pk"))
    assert _stored_scores(evaluations) == [expected] * 40
    assert set(Score.objects.filter(item__code="9.4").values_list("pk", flat=True)) == kept
    assert {(e.state, e.total) for e in evaluations} == {
        ("scored", sum(Decimal(str(p)) for p in after))
    }


def test_an_import_leaves_every_score_and_grade_change_in_the_audit_log(staff):
    """Scores and grades are written in bulk (no auditlog signals): the evaluation's entry names
    its scores, a changed score shows old and new, and each organisation whose grade the import
    changed gets its own entry, all with who and from where."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    organisation = OrganisationFactory()
    first = _points(777)
    run_import(
        EvaluationsKind(),
        _workbook([[organisation.credit_code, "2019-06-01", "评估中心", *first, "草稿"]]),
        user=staff,
    )
    evaluation = Evaluation.objects.get(organisation=organisation)
    entries = LogEntry.objects.get_for_object(evaluation)
    (created,) = [e for e in entries if e.action == LogEntry.Action.CREATE]
    assert created.changes["scores"][1].startswith(f"1.1={Decimal(str(first[0]))}")
    assert created.changes["scores"][1].count("=") == sum(p is not None for p in first)
    changed = list(first)
    changed[0] = first[0] - 1
    run_import(
        EvaluationsKind(),
        _workbook([[organisation.credit_code, "2019-06-01", "评估中心", *changed, "已公告"]]),
        user=staff,
    )
    updated = LogEntry.objects.get_for_object(evaluation).filter(action=LogEntry.Action.UPDATE)
    (update,) = list(updated)
    assert [Decimal(p) for p in update.changes["score 1.1"]] == [
        Decimal(str(first[0])),
        Decimal(str(changed[0])),
    ]
    grade_entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=organisation.pk,
        action=LogEntry.Action.UPDATE,
    )
    (grade_entry,) = [e for e in grade_entries if "grade" in e.changes]
    assert grade_entry.changes["grade"][1] == Organisation.objects.get(pk=organisation.pk).grade
    assert grade_entry.actor_id == staff.pk
