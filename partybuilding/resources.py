"""The ``party`` and ``trainings`` sheets (DESIGN.md contract 3). The framework (reading,
matching, bulk writing, audit entries) is ``zhenhai_so.importing``; the row rules are the models'
``clean()`` and ``services.check_coverage`` (called, not copied), so a bad row gets a row-numbered
message instead of a database error.

A party organisation is found again by (township, name) and lists the organisations it covers by
credit code in one cell, separated by ；or , (also 、 and ;). The coverage is a many-to-many
relation, which the framework's bulk writes do not handle: ``PartyKind.apply`` sets it after them,
with one audit entry per party organisation whose coverage changed."""

from __future__ import annotations

import re
from collections.abc import Hashable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Organisation
from registry.resources import (
    _choices,
    _label,
    _visible,
    organisations_named,
    parse_township,
    scope_context,
)
from registry.validators import normalise_credit_code
from zhenhai_so import audit
from zhenhai_so.importing import (
    Column,
    ImportKind,
    ImportPlan,
    Row,
    in_chunks,
    model_max_length,
    parse_choice,
    parse_int,
    parse_text,
    register,
    write_plan,
)
from zhenhai_so.validators import parse_past_date

from . import services
from .models import Level, PartyOrganisation, Training

KIND_LABELS = {
    PartyOrganisation.Kind.SINGLE: ("单独组建",),
    PartyOrganisation.Kind.JOINT: ("联合组建",),
}
LEVEL_LABELS = {
    Level.DISTRICT: ("区级", "区"),
    Level.TOWNSHIP: ("镇街级", "镇(街道)级", "镇街"),
}
TRAINING_KIND_LABELS = {
    Training.Kind.LEADERS: ("党组织负责人培训",),
    Training.Kind.ACTIVISTS: ("入党积极分子培训",),
    Training.Kind.STAFF_ROTATION: ("专职工作人员轮训",),
    Training.Kind.STUDY_CLASS: ("研修班",),
    Training.Kind.OTHER: ("其他",),
}
_CODE_SEPARATORS = re.compile(r"[；;，,、\s]+")


def split_codes(text: str) -> list[str]:
    """Credit codes written in one cell, normalised, in order, without repeats."""
    codes = (normalise_credit_code(part) for part in _CODE_SEPARATORS.split(text or ""))
    return list(dict.fromkeys(code for code in codes if code))


# The same township rule as procurement/resources.py (the two apps do not import each other).


class _CoverageAudit:
    """Attached to a party organisation while it is imported: the covered organisations' ids
    before (None for a new one) and after."""

    def __init__(self, before: frozenset[int] | None, after: frozenset[int]):
        self.before, self.after = before, after


class PartyKind(ImportKind):
    name = "party"
    label = gettext_lazy("Party organisations")
    model = PartyOrganisation
    columns = (
        Column("党组织名称", "name", required=True),
        Column("组建方式", "kind", required=True),
        Column("覆盖组织统一社会信用代码", "covered", ("统一社会信用代码",), required=True),
        Column("所属镇街", "township"),
        Column("成立日期", "established_on", required=True),
        Column("撤销日期", "dissolved_on"),
        Column("书记", "secretary"),
    )
    # The party organisation list's columns beside the sheet's own (its export is this sheet).
    read_only_columns = (Column("覆盖组织", "organisation_names"),)
    import_permissions = (
        "partybuilding.add_partyorganisation",
        "partybuilding.change_partyorganisation",
    )
    export_permission = "partybuilding.export_partybuilding"

    KINDS = _choices(KIND_LABELS)

    def prepare(self, *, user) -> dict:
        """Townships (one query) and the scope of the organisations the user may see, loaded by
        ``prefetch`` for the credit codes of the file only."""
        ctx = scope_context(user)
        ctx["organisation_scope"] = _visible(Organisation, user).exclude(credit_code="")
        ctx["organisations"] = {}
        ctx["lengths"] = {
            name: model_max_length(PartyOrganisation, name) for name in ("name", "secretary")
        }
        return ctx

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """The organisations of the credit codes listed in the rows' ``covered`` cells (read by
        ``split_codes``, as ``parse_row`` reads them), by code: one query per chunk of codes,
        whatever the size of the register."""
        organisations = ctx["organisations"]
        scope = ctx["organisation_scope"]
        for found in organisations_named(rows, scope, field="covered", split=split_codes):
            for org in found.only("id", "credit_code", "township_id"):
                organisations[org.credit_code] = org

    def parse_row(self, row: Row, ctx: dict) -> dict:
        name = row.value("name", parse_text, max_length=ctx["lengths"]["name"], required=True)
        kind = row.value("kind", parse_choice, self.KINDS)
        township_id = parse_township(row, ctx, required=True)
        covered = []
        for code in split_codes(row.value("covered", parse_text, required=True) or ""):
            organisation = ctx["organisations"].get(code)
            if organisation is None:
                reason = _("No organisation with the credit code %(code)s.") % {"code": code}
                row.error("covered", reason)
            else:
                covered.append(organisation)
        established_on = row.value("established_on", parse_past_date, required=True)
        values = {
            "name": name,
            "kind": kind,
            "township_id": township_id,
            "established_on": established_on,
            "dissolved_on": row.value("dissolved_on", parse_past_date),
            "secretary": row.value("secretary", parse_text, max_length=ctx["lengths"]["secretary"]),
            "covered": frozenset(o.id for o in covered),
        }
        if row.errors:
            return values
        party = PartyOrganisation(**{k: v for k, v in values.items() if k != "covered"})
        try:
            party.clean()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                row.error(field, " ".join(messages))
        if not row.failed("covered"):
            try:
                services.check_coverage(kind=kind, township_id=township_id, organisations=covered)
            except ValidationError as error:
                row.error("covered", " ".join(error.messages))
        return values

    def key(self, values: dict) -> Hashable:
        return (values["township_id"], values["name"])

    def load_existing(self, keys, ctx) -> dict:
        wanted = set(keys)
        found = {}
        for chunk in in_chunks(sorted({name for _township, name in keys})):
            parties = PartyOrganisation.objects.filter(name__in=chunk).prefetch_related(
                "organisations"
            )
            for party in parties:
                key = (party.township_id, party.name)
                if key in wanted:
                    party.covered = frozenset(o.id for o in party.organisations.all())
                    found[key] = party
        return found

    def check_match(self, row: Row, values: dict, instance, ctx: dict) -> None:
        forced = ctx["township_id"]
        if forced is not None and instance.township_id != forced:
            row.error("name", _("This party organisation belongs to another township."))

    def build(self, values: dict, ctx: dict) -> PartyOrganisation:
        party = PartyOrganisation(**{k: v for k, v in values.items() if k != "covered"})
        party.covered = values["covered"]
        party._coverage = _CoverageAudit(None, values["covered"])
        return party

    # --- export ---
    def export_queryset(self, user=None):
        return (
            _visible(PartyOrganisation, user)
            .select_related("township")
            .prefetch_related("organisations")
            .order_by("id")
        )

    def export_row(self, p):
        codes = sorted(o.credit_code for o in p.organisations.all())
        return (
            p.name,
            _label(KIND_LABELS, p.kind),
            "；".join(codes),
            p.township.name,
            p.established_on,
            p.dissolved_on,
            p.secretary,
        )

    def read_only_row(self, p):
        return ("、".join(o.name for o in p.organisations.all()),)

    # --- writing ---
    def apply(self, plan: ImportPlan, *, user=None, remote_addr=None) -> None:
        """The party organisations through the framework (bulk, audited), then their coverage:
        the through table's rows in bulk and one audit entry per changed coverage."""
        for planned in plan.updated:
            change = planned.changes.pop("covered", None)
            planned.instance._coverage = _CoverageAudit(*change) if change is not None else None
        with transaction.atomic():
            write_plan(plan, user=user, remote_addr=remote_addr)
            changed = [
                p.instance
                for p in (*plan.new, *plan.updated)
                if getattr(p.instance, "_coverage", None) is not None
            ]
            if not changed:
                return
            through = PartyOrganisation.organisations.through
            through.objects.filter(
                partyorganisation_id__in=[p.pk for p in changed if p._coverage.before is not None]
            ).delete()
            through.objects.bulk_create(
                [
                    through(partyorganisation_id=party.pk, organisation_id=organisation_id)
                    for party in changed
                    for organisation_id in sorted(party._coverage.after)
                ],
                batch_size=2000,
            )
            ids = set()
            for party in changed:
                ids |= (party._coverage.before or frozenset()) | party._coverage.after
            codes = dict(Organisation.objects.filter(pk__in=ids).values_list("id", "credit_code"))

            def listed(ids):
                return "；".join(sorted(codes[i] for i in ids)) if ids is not None else "None"

            audit.log(
                [
                    (
                        party,
                        {
                            "organisations": (
                                listed(party._coverage.before),
                                listed(party._coverage.after),
                            )
                        },
                    )
                    for party in changed
                ],
                audit.Action.UPDATE,
                actor=user,
                remote_addr=remote_addr,
            )


class TrainingsKind(ImportKind):
    name = "trainings"
    label = gettext_lazy("Trainings")
    model = Training
    columns = (
        Column("培训名称", "title", required=True),
        Column("培训类型", "kind", ("类别",), required=True),
        Column("层级", "level", required=True),
        Column("所属镇街", "township"),
        Column("举办日期", "held_on", required=True),
        Column("主办单位", "organiser", required=True),
        Column("参训人数", "attendees", ("参加人数",)),
    )
    # The training list's column beside the sheet's own (its export is this sheet).
    read_only_columns = (Column("研修班学员数", "n_enrolled"),)
    import_permissions = ("partybuilding.add_training", "partybuilding.change_training")
    export_permission = "partybuilding.export_partybuilding"

    KINDS = _choices(TRAINING_KIND_LABELS)
    LEVELS = _choices(LEVEL_LABELS)

    def prepare(self, *, user) -> dict:
        ctx = scope_context(user)
        ctx["lengths"] = {name: model_max_length(Training, name) for name in ("title", "organiser")}
        return ctx

    def parse_row(self, row: Row, ctx: dict) -> dict:
        forced = ctx["township_id"]
        level = row.value("level", parse_choice, self.LEVELS)
        township_id = parse_township(row, ctx, required=False)
        if forced is not None and level == Level.DISTRICT:
            row.error("level", _("Township offices may only import their township's trainings."))
        if level == Level.DISTRICT and forced is None and township_id is not None:
            row.error("township", _("A district training belongs to no township."))
        elif level == Level.TOWNSHIP and township_id is None and not row.failed("township"):
            row.error("township", _("A township training needs its township."))
        attendees = row.value("attendees", parse_int)
        return {
            "title": row.value(
                "title", parse_text, max_length=ctx["lengths"]["title"], required=True
            ),
            "kind": row.value("kind", parse_choice, self.KINDS),
            "level": level,
            "township_id": township_id if level == Level.TOWNSHIP else None,
            "held_on": row.value("held_on", parse_past_date, required=True),
            "organiser": row.value(
                "organiser", parse_text, max_length=ctx["lengths"]["organiser"], required=True
            ),
            "attendees": attendees if attendees is not None else 0,
        }

    def key(self, values: dict) -> Hashable:
        return (values["title"], values["held_on"])

    def load_existing(self, keys, ctx) -> dict:
        wanted = set(keys)
        found = {}
        for chunk in in_chunks(sorted({title for title, _held_on in keys})):
            for training in Training.objects.filter(title__in=chunk).order_by("id"):
                key = (training.title, training.held_on)
                if key in wanted:
                    found.setdefault(key, training)
        return found

    def check_match(self, row: Row, values: dict, instance, ctx: dict) -> None:
        forced = ctx["township_id"]
        if forced is not None and instance.township_id != forced:
            row.error("title", _("This training belongs to another township."))

    def export_queryset(self, user=None):
        return (
            _visible(Training, user)
            .select_related("township")
            .annotate(n_enrolled=Count("enrolments"))
            .order_by("held_on", "id")
        )

    def export_row(self, t):
        return (
            t.title,
            _label(TRAINING_KIND_LABELS, t.kind),
            _label(LEVEL_LABELS, t.level),
            t.township.name if t.township_id else "",
            t.held_on,
            t.organiser,
            t.attendees,
        )

    def read_only_row(self, t):
        return (t.n_enrolled,)


PARTY = register(PartyKind())
TRAININGS = register(TrainingsKind())
