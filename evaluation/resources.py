"""The ``evaluations`` sheet (columns as in ``docs/development.md``): 统一社会信用代码, 评估日期,
评估机构, one column per item code (1.1 … 9.4), 状态. The total and the grade are computed from the
scores and the system's thresholds, never imported. A row is one evaluation, found again by
(organisation, evaluation date); a published evaluation is never changed by an import (a
correction is a new evaluation). The framework is ``zhenhai_so.importing``; scores, the derived
fields and the organisations' current grades are written here in bulk after it."""

from __future__ import annotations

import datetime
from collections.abc import Hashable
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Organisation
from registry.resources import organisations_named
from registry.validators import normalise_credit_code
from zhenhai_so import audit
from zhenhai_so.bulk import insert_values
from zhenhai_so.importing import (
    CellError,
    Column,
    ImportKind,
    ImportPlan,
    Row,
    in_chunks,
    parse_choice,
    parse_decimal,
    parse_text,
    register,
    write_plan,
)
from zhenhai_so.validators import parse_past_date

from .models import Evaluation, IndicatorSystem, Item, Score, grade_for
from .services import valid_until_for

State = Evaluation.State
STATE_LABELS = {
    State.DRAFT: ("草稿",),
    State.SCORED: ("已评分", "初评"),
    State.CONFIRMED: ("已确认", "评估委员会已确认"),
    State.NOTICE: ("公示中", "公示"),
    State.PUBLISHED: ("已公告", "已发布", "公告"),
}
STATE_CHOICES = {
    **{name: str(value) for value, names in STATE_LABELS.items() for name in names},
    **{str(value): str(value) for value in STATE_LABELS},
}
# Item codes are the same in every version (9 categories × 4 items); the maxima differ.
ITEM_CODES = tuple(f"{c}.{i}" for c in range(1, 10) for i in range(1, 5))
SCORE_COLUMNS = ("evaluation_id", "item_id", "points")
DERIVED = (
    "total",
    "grade",
    "confirmed_on",
    "notice_starts_on",
    "notice_ends_on",
    "published_on",
    "valid_until",
)


def _field(code: str) -> str:
    return f"item_{code}"


ITEM_FIELDS = tuple((code, _field(code)) for code in ITEM_CODES)
# Distinct score cells remembered per import (a hostile sheet cannot grow it past this).
POINTS_CACHE_SIZE = 10_000


def _points_or_error(raw) -> Decimal | None | CellError:
    """A score cell as points (None when blank), or the CellError saying why it is not."""
    try:
        points = parse_decimal(raw, max_digits=5, decimal_places=1)
        if points is not None and points * 2 != (points * 2).to_integral_value():
            raise CellError(_("Scores are given in whole or half points."))
    except CellError as error:
        return error
    return points


class _Org(NamedTuple):
    """What validation needs of an organisation (one row of ``values_list``)."""

    id: int
    name: str
    credit_code: str
    org_type: str
    registered_on: datetime.date
    dissolved_on: datetime.date | None


# Model.from_db takes the loaded values in the model's field order.
_ORG_ATTNAMES = [f.attname for f in Organisation._meta.concrete_fields if f.attname in _Org._fields]


class _SystemInfo:
    def __init__(self, system: IndicatorSystem):
        self.system = system
        self.items = {i.code: i for i in system.items.all()}
        self.thresholds = list(system.thresholds.all())


class EvaluationsKind(ImportKind):
    name = "evaluations"
    label = gettext_lazy("Evaluations")
    model = Evaluation
    columns = (
        Column("统一社会信用代码", "credit_code", required=True),
        Column("评估日期", "evaluated_on", required=True),
        Column("评估机构", "agency", required=True),
        *(Column(code, _field(code)) for code in ITEM_CODES),
        Column("状态", "state"),
    )
    # The evaluation list's columns beside the sheet's own (its export is this sheet).
    read_only_columns = (
        Column("组织名称", "organisation_name"),
        Column("类型", "org_type"),
        Column("所属镇街", "township"),
        Column("评估年度", "year"),
        Column("指标体系", "system"),
        Column("总分", "total"),
        Column("等级", "grade"),
        Column("公告日期", "published_on"),
        Column("有效期至", "valid_until"),
    )
    import_permissions = ("evaluation.add_evaluation", "evaluation.change_evaluation")
    export_permission = "evaluation.export_evaluation"

    def prepare(self, *, user) -> dict:
        """Every system with its items and thresholds (three queries), and the scope of the
        organisations the user may import for: legal ones they may see, loaded by ``prefetch``
        for the credit codes of the file only."""
        organisations = Organisation.objects.legal()
        if user is not None:
            organisations = organisations.visible_to(user)
        systems = [
            _SystemInfo(s)
            for s in IndicatorSystem.objects.prefetch_related("items", "thresholds").order_by(
                "applies_from"
            )
        ]
        return {
            "user": user,
            "organisation_scope": organisations,
            "organisations": {},
            "organisations_by_id": {},
            "organisation_instances": {},
            "database": organisations.db,
            "systems": systems,
            "systems_by_id": {s.system.pk: s for s in systems},
        }

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """The organisations of the credit codes written in the rows, by code (one query per
        chunk of codes, whatever the size of the register). Plain rows, not model instances:
        build() makes the instances of the organisations it uses."""
        by_code, by_id = ctx["organisations"], ctx["organisations_by_id"]
        for found in organisations_named(rows, ctx["organisation_scope"]):
            for organisation in map(_Org._make, found.values_list(*_Org._fields)):
                by_code[organisation.credit_code] = by_id[organisation.id] = organisation

    def _system_for(self, org_type: str, year: int, ctx) -> _SystemInfo | None:
        """As ``services.default_system_for``, from the loaded systems."""
        fitting = [s for s in ctx["systems"] if s.system.applies_to(org_type)]
        current = [s for s in fitting if s.system.applies_from <= year]
        return (current or fitting or [None])[-1 if current else 0]

    def parse_row(self, row: Row, ctx: dict) -> dict:
        code = normalise_credit_code(row.value("credit_code", parse_text, required=True) or "")
        organisation = ctx["organisations"].get(code) if code else None
        if code and organisation is None:
            row.error("credit_code", _("No registered organisation you may see has this code."))
        evaluated_on = row.value("evaluated_on", parse_past_date, required=True)
        agency = row.value("agency", parse_text, max_length=100, required=True)
        state = row.value("state", parse_choice, STATE_CHOICES, required=False) or State.PUBLISHED
        info = None
        if organisation and evaluated_on:
            if evaluated_on < organisation.registered_on:
                row.error(
                    "evaluated_on",
                    _("The evaluation date is before the organisation was registered."),
                )
            info = self._system_for(organisation.org_type, evaluated_on.year, ctx)
            if info is None:
                row.error("credit_code", _("No indicator system applies to this organisation."))
        values = {
            "organisation_id": organisation.id if organisation else None,
            "system_id": info.system.pk if info else None,
            "evaluated_on": evaluated_on,
            "year": evaluated_on.year if evaluated_on else None,
            "agency": agency,
            "state": state,
        }
        scores = self._scores(row, info, state, ctx.setdefault("points_cache", {}))
        values.update({_field(c): p for c, p in scores.items()})
        if info is not None and not row.errors:
            values.update(self.derived(info, scores, state, evaluated_on))
        return values

    def _scores(self, row: Row, info, state, cache: dict) -> dict[str, Decimal | None]:
        """The 36 score cells as points, each checked against its item's maximum. A sheet of
        5,000 evaluations has 180,000 score cells but a few dozen distinct values, so a cell's
        conversion (points or the reason it has none) is kept in ``cache`` by its value and
        type (1, 1.0 and "1" are different cells) for the rest of the import."""
        scores = {}
        cells = row.cells
        items = info.items if info else {}
        for code, name in ITEM_FIELDS:
            raw = cells.get(name)
            key = (raw.__class__, raw)
            try:
                points = cache[key]
            except KeyError:
                points = _points_or_error(raw)
                if len(cache) < POINTS_CACHE_SIZE:
                    cache[key] = points
            except TypeError:  # an unhashable value (not from a workbook): no cache
                points = _points_or_error(raw)
            if isinstance(points, CellError):
                row.error(name, points.reason)
                continue
            item = items.get(code)
            if points is not None and item is not None and points > item.max_points:
                row.error(
                    name,
                    _("At most %(max)s points for item %(code)s.")
                    % {"max": item.max_points.normalize(), "code": code},
                )
            scores[code] = points
        missing = [c for c, p in scores.items() if p is None]
        if state != State.DRAFT and missing and not row.failed(*map(_field, ITEM_CODES)):
            row.error(
                _field(missing[0]),
                _("Every item is scored once the evaluation is past draft (missing: %(codes)s).")
                % {"codes": "、".join(missing)},
            )
        return scores

    @staticmethod
    def derived(info, scores: dict, state: str, evaluated_on: datetime.date) -> dict:
        """Total and grade from the scores; the procedure's dates for an imported historical
        record, all on the evaluation date (the sheet has no others)."""
        total = sum((p for p in scores.values() if p is not None), Decimal(0))
        past = list(State).index(State(state))
        day = evaluated_on
        return {
            "total": total,
            "grade": grade_for(total, info.thresholds),
            "confirmed_on": day if past >= 2 else None,
            "notice_starts_on": day if past >= 3 else None,
            "notice_ends_on": day if past >= 3 else None,
            "published_on": day if past >= 4 else None,
            "valid_until": valid_until_for(day, info.system.validity_years) if past >= 4 else None,
        }

    def key(self, values: dict) -> Hashable:
        return (values["organisation_id"], values["evaluated_on"])

    def load_existing(self, keys, ctx) -> dict:
        if not keys:
            return {}
        organisation_ids = {k[0] for k in keys}
        wanted = set(keys)
        found = {}
        evaluations = Evaluation.objects.filter(
            organisation_id__in=organisation_ids, evaluated_on__in={k[1] for k in keys}
        ).prefetch_related("scores__item")
        for evaluation in evaluations:
            key = (evaluation.organisation_id, evaluation.evaluated_on)
            if key in wanted and key not in found:
                for code in ITEM_CODES:
                    setattr(evaluation, _field(code), None)
                for score in evaluation.scores.all():
                    setattr(evaluation, _field(score.item.code), score.points)
                found[key] = evaluation
        return found

    def check_match(self, row: Row, values: dict, instance, ctx) -> None:
        """An evaluation keeps its version; a published one is never changed."""
        values["system_id"] = instance.system_id
        info = ctx["systems_by_id"][instance.system_id]
        differs = any(
            getattr(instance, name) != values.get(name) for name in row.headers if name in values
        )
        if instance.state == State.PUBLISHED and differs:
            row.error(
                "state",
                _("A published evaluation is not changed; a correction is a new evaluation."),
            )
            return
        scores = {c: values.get(_field(c), getattr(instance, _field(c))) for c in ITEM_CODES}
        instance._derived = self.derived(info, scores, values["state"], values["evaluated_on"])

    def build(self, values: dict, ctx: dict):
        evaluation = Evaluation(**{k: v for k, v in values.items() if not k.startswith("item_")})
        # The evaluation gets its organisation, so the audit entry's str(evaluation) does not
        # fetch it row by row.
        organisation = self._organisation(values["organisation_id"], ctx)
        if organisation is not None:
            evaluation.organisation = organisation
        evaluation._scores = {code: values[name] for code, name in ITEM_FIELDS if name in values}
        return evaluation

    @staticmethod
    def _organisation(organisation_id, ctx) -> Organisation | None:
        """The organisation as ``only()`` would give it (the loaded columns, the others
        deferred), made once per import."""
        made = ctx.get("organisation_instances")
        if made is None:
            return None
        instance = made.get(organisation_id)
        if instance is None:
            row = ctx["organisations_by_id"].get(organisation_id)
            if row is None:
                return None
            instance = made[organisation_id] = Organisation.from_db(
                ctx["database"], _ORG_ATTNAMES, [getattr(row, name) for name in _ORG_ATTNAMES]
            )
        return instance

    # --- export ---
    def export_queryset(self, user=None):
        evaluations = (
            Evaluation.objects.all() if user is None else Evaluation.objects.visible_to(user)
        )
        return (
            evaluations.select_related("organisation__township", "system")
            .prefetch_related("scores__item")
            .order_by("organisation__credit_code", "evaluated_on", "id")
        )

    def export_row(self, evaluation):
        points = {s.item.code: s.points for s in evaluation.scores.all()}
        return (
            evaluation.organisation.credit_code,
            evaluation.evaluated_on,
            evaluation.agency,
            *(points.get(code) for code in ITEM_CODES),
            STATE_LABELS[evaluation.state][0],
        )

    def read_only_row(self, e):
        return (
            e.organisation.name,
            e.organisation.get_org_type_display(),
            e.organisation.township.name,
            e.year,
            e.system.code,
            e.total,
            e.grade,
            e.published_on,
            e.valid_until,
        )

    # --- writing ---
    def apply(self, plan: ImportPlan, *, user=None, remote_addr=None) -> None:
        """The evaluations through the framework (bulk, audited), then their scores in bulk,
        then the current grade of every organisation touched."""
        item_ids = {}  # (system id, item code) → item id
        for item_id, system_id, code in Item.objects.values_list("id", "system_id", "code"):
            item_ids[system_id, code] = item_id
        for planned in plan.updated:
            instance = planned.instance
            scores = {
                name: new
                for name, (_old, new) in planned.changes.items()
                if name.startswith("item_")
            }
            instance._score_changes = scores
            instance._score_audit = {name: planned.changes.pop(name) for name in scores}
            for name, value in instance._derived.items():
                if getattr(instance, name) != value:
                    planned.changes[name] = (getattr(instance, name), value)
        plan.updated = [p for p in plan.updated if p.changes or p.instance._score_changes]
        write_plan(plan, user=user, remote_addr=remote_addr)

        # Plain (evaluation id, item id, points) rows, copied in one statement on PostgreSQL:
        # 180,000 Score instances cost more than writing them (the points were checked against
        # the items' maxima in parse_row; the table's constraints check them again).
        new_scores = [
            (p.instance.pk, item_ids[p.instance.system_id, code], v)
            for p in plan.new
            for code, v in p.instance._scores.items()
            if v is not None
        ]
        # The changed scores of updated evaluations are replaced: one condition per item (36
        # per system) listing its evaluations, not one per score (SQLite refuses a statement
        # of more than 1,000 ORed conditions).
        cleared: dict[int, list[int]] = {}  # item id → evaluations whose score of it changes
        for p in plan.updated:
            system_id = p.instance.system_id
            for name, value in p.instance._score_changes.items():
                item_id = item_ids[system_id, name[5:]]
                cleared.setdefault(item_id, []).append(p.instance.pk)
                if value is not None:
                    new_scores.append((p.instance.pk, item_id, value))
        if cleared:
            Score.objects.filter(
                reduce(or_, (Q(item_id=i, evaluation_id__in=ids) for i, ids in cleared.items()))
            ).delete()
        insert_values(Score, SCORE_COLUMNS, new_scores, batch_size=2000)
        touched = {p.instance.organisation_id for p in (*plan.new, *plan.updated)}
        refresh_grades(touched, actor=user, remote_addr=remote_addr)

    def audit_extra(self, instance, created: bool) -> dict:
        """The scores are rows of their own, written in bulk: the evaluation's entry names
        them (all of a new evaluation's, the changed ones of an updated one)."""
        if created:
            scores = "；".join(f"{c}={p}" for c, p in instance._scores.items() if p is not None)
            return {"scores": (None, scores)} if scores else {}
        return {
            f"score {name[len('item_') :]}": change
            for name, change in getattr(instance, "_score_audit", {}).items()
        }


def refresh_grades(organisation_ids, *, actor=None, remote_addr=None) -> None:
    """``services.organisation_refresh_grade`` for many organisations at once: the newest
    published evaluation (by publication, then evaluation date, then id) gives the grade, and
    its validity when it has one. Organisations without a published evaluation keep theirs.

    One ``UPDATE`` per chunk of ids that reads the newest evaluation in the database (a
    ``bulk_update`` of 5,000 organisations is a ``CASE`` over every id and took seconds)."""
    newest = (
        Evaluation.objects.published()
        .filter(organisation_id=OuterRef("pk"))
        .order_by("-published_on", "-evaluated_on", "-id")
    )
    expires = Case(When(grade="", then=Value(None)), default=F("valid_until"))
    ids = sorted(set(organisation_ids))
    for chunk in in_chunks(ids):
        scope = Organisation.objects.filter(pk__in=chunk)
        columns = ("pk", "name", "grade", "grade_expires_on")
        before = {row[0]: row for row in scope.values_list(*columns)}
        scope.filter(Exists(newest)).update(
            grade=Subquery(newest.values("grade")[:1]),
            grade_expires_on=Subquery(newest.annotate(expires=expires).values("expires")[:1]),
        )
        # An UPDATE sends no auditlog signal: each organisation whose grade changed gets the
        # entry organisation_refresh_grade's save() would have written.
        changed = []
        for pk, name, grade, expires_on in scope.values_list(*columns):
            _pk, _name, old_grade, old_expires = before[pk]
            fields = {}
            if grade != old_grade:
                fields["grade"] = (old_grade, grade)
            if expires_on != old_expires:
                fields["grade_expires_on"] = (old_expires, expires_on)
            if fields:
                changed.append((audit.Ref(Organisation, pk, name), fields))
        audit.log(changed, audit.Action.UPDATE, actor=actor, remote_addr=remote_addr)


EVALUATIONS = register(EvaluationsKind())
