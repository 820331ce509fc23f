"""The ``projects`` sheet (DESIGN.md contract 3): one row per project, found again by its project
number (项目编号). The framework (reading, matching, bulk writing, audit entries) is
``zhenhai_so.importing``; the row rules here are those of ``Project.clean()``, the model's
constraints and the personnel-cost cap (``services.check_personnel_share``, called, not copied),
so a bad row gets a row-numbered message instead of a database error.

State changes are the project page's business (each step records who and why): an import sets
the state of a new project (historical records) but refuses to move an existing one, and never
changes a finished or terminated project (``services.EDITABLE_STATES``)."""

from __future__ import annotations

from collections.abc import Hashable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Organisation
from registry.resources import (
    _choices,
    _label,
    _visible,
    _yes_no,
    organisations_named,
    parse_township,
    scope_context,
)
from registry.validators import normalise_credit_code
from zhenhai_so.importing import (
    Column,
    ImportKind,
    Row,
    in_chunks,
    model_max_length,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    register,
)
from zhenhai_so.validators import parse_past_date

from . import services
from .models import PersonnelCostCap, Project

# The first label of each value is the one exported.
CHANNEL_LABELS = {
    Project.Channel.PURCHASE: ("政府购买服务", "购买服务"),
    Project.Channel.VENTURE: ("公益创投",),
    Project.Channel.SUBSIDY: ("项目补助",),
    Project.Channel.SOCIAL_SUPPORT: ("社会支持",),
}
STATE_LABELS = {
    Project.State.DECLARED: ("已申报", "申报"),
    Project.State.APPROVED: ("已立项", "立项", "已批准"),
    Project.State.RUNNING: ("实施中", "执行中"),
    Project.State.MIDTERM_REVIEWED: ("已中期评估", "中期评估"),
    Project.State.FINISHED: ("已结项", "结项", "已完成"),
    Project.State.TERMINATED: ("已终止", "终止"),
}
_MONEY = {"max_digits": 12, "decimal_places": 2}


class ProjectsKind(ImportKind):
    name = "projects"
    label = gettext_lazy("Projects")
    model = Project
    columns = (
        Column("项目编号", "code", required=True),
        Column("项目名称", "name", required=True),
        Column("资金渠道", "channel", required=True),
        Column("年度", "year", required=True),
        Column("购买主体", "buyer", ("购买部门",), required=True),
        Column("承接组织统一社会信用代码", "organisation", ("统一社会信用代码",), required=True),
        Column("所属镇街", "township"),
        Column("预算(元)", "budget", required=True),
        Column("合同金额(元)", "contract_amount"),
        Column("签约日期", "signed_on", ("签订日期",)),
        Column("人员经费比例(%)", "personnel_share"),
        Column("社工服务项目", "is_social_work"),
        Column("开始日期", "starts_on", required=True),
        Column("结束日期", "ends_on", required=True),
        Column("状态", "state"),
        Column("完成日期", "finished_on"),
    )
    # The project list's columns beside the sheet's own (its export is this sheet).
    read_only_columns = (
        Column("承接组织", "organisation_name"),
        Column("指导性目录项目", "catalogue_item"),
        Column("绩效评估得分", "evaluation_score"),
    )
    import_permissions = ("procurement.add_project", "procurement.change_project")
    export_permission = "procurement.export_procurement"

    CHANNELS = _choices(CHANNEL_LABELS)
    STATES = _choices(STATE_LABELS)

    def prepare(self, *, user) -> dict:
        """Townships and the personnel-cost caps (one query each), and the scope of the
        organisations the user may see, loaded by ``prefetch`` for the credit codes of the file
        only."""
        ctx = scope_context(user)
        ctx["organisation_scope"] = _visible(Organisation, user).exclude(credit_code="")
        ctx["organisations"] = {}
        ctx["caps"] = list(PersonnelCostCap.objects.order_by("effective_from"))
        ctx["lengths"] = {
            name: model_max_length(Project, name) for name in ("code", "name", "buyer")
        }
        return ctx

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """The organisations of the credit codes written in the rows' ``organisation`` cells, by
        code: one query per chunk of codes, whatever the size of the register."""
        organisations = ctx["organisations"]
        for found in organisations_named(rows, ctx["organisation_scope"], field="organisation"):
            for org in found.only("id", "credit_code", "township_id"):
                organisations[org.credit_code] = org

    def parse_row(self, row: Row, ctx: dict) -> dict:
        lengths = ctx["lengths"]
        code = row.value("code", parse_text, max_length=lengths["code"], required=True)
        name = row.value("name", parse_text, max_length=lengths["name"], required=True)
        buyer = row.value("buyer", parse_text, max_length=lengths["buyer"], required=True)
        channel = row.value("channel", parse_choice, self.CHANNELS)
        year = row.value("year", parse_int, minimum=2000, maximum=2100)
        if year is None and not row.failed("year"):
            row.error("year", _("This column is required."))
        organisation = self._organisation(row, ctx)
        township_id = parse_township(row, ctx, required=False)
        if township_id is None and organisation is not None and not row.failed("township"):
            township_id = organisation.township_id
        budget = row.value("budget", parse_decimal, **_MONEY)
        if budget is None and not row.failed("budget"):
            row.error("budget", _("This column is required."))
        values = {
            "code": code,
            "name": name,
            "channel": channel,
            "year": year,
            "buyer": buyer,
            "organisation_id": organisation.id if organisation else None,
            "township_id": township_id,
            "budget": budget,
            "contract_amount": row.value("contract_amount", parse_decimal, **_MONEY),
            "signed_on": row.value("signed_on", parse_past_date),
            "personnel_share": row.value(
                "personnel_share", parse_decimal, max_digits=5, decimal_places=2
            ),
            "is_social_work": row.value("is_social_work", parse_bool),
            "starts_on": row.value("starts_on", parse_date, required=True),
            "ends_on": row.value("ends_on", parse_date, required=True),
            "state": row.value("state", parse_choice, self.STATES, required=False)
            or Project.State.DECLARED,
            "finished_on": row.value("finished_on", parse_past_date),
        }
        if values["personnel_share"] is not None and values["personnel_share"] > 100:
            row.error("personnel_share", _("A share is at most 100%."))
        if not row.errors:
            self._check_rules(row, values, ctx)
        return values

    def _organisation(self, row: Row, ctx: dict):
        code = normalise_credit_code(row.value("organisation", parse_text, required=True) or "")
        if not code:
            return None
        organisation = ctx["organisations"].get(code)
        if organisation is None:
            reason = (
                _("No organisation with this credit code in your township.")
                if ctx["township_id"] is not None
                else _("No organisation with this credit code.")
            )
            row.error("organisation", reason)
        return organisation

    def _check_rules(self, row: Row, values: dict, ctx: dict) -> None:
        """``Project.clean()`` and the personnel-cost cap on an unsaved project, each message
        put on the column it is about."""
        project = Project(**values)
        checks = (project.clean, lambda: services.check_personnel_share(project, caps=ctx["caps"]))
        columns = {c.field for c in self.columns}
        for check in checks:
            try:
                check()
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    row.error(field if field in columns else "code", " ".join(messages))

    def key(self, values: dict) -> Hashable:
        return values["code"]

    def load_existing(self, keys, ctx) -> dict:
        found = {}
        for chunk in in_chunks(list(keys)):
            for project in Project.objects.filter(code__in=chunk):
                found[project.code] = project
        return found

    def check_match(self, row: Row, values: dict, instance, ctx: dict) -> None:
        """A township office touches only its township's projects; a closed project is never
        changed, and an open one's state moves only on its page."""
        forced = ctx["township_id"]
        if forced is not None and instance.township_id != forced:
            row.error("code", _("This project belongs to another township."))
            return
        differs = any(
            getattr(instance, self.attname(name)) != values.get(self.attname(name))
            for name in row.headers
        )
        if not differs:
            return
        if instance.state not in services.EDITABLE_STATES:
            row.error("code", _("A finished or terminated project cannot be changed."))
        elif "state" in row.headers and values["state"] != instance.state:
            row.error(
                "state",
                _("The state of an existing project changes on its page (approve, start, …)."),
            )

    def export_queryset(self, user=None):
        return (
            _visible(Project, user)
            .select_related("organisation", "township", "catalogue_item", "performance_evaluation")
            .order_by("id")
        )

    def export_row(self, p):
        return (
            p.code,
            p.name,
            _label(CHANNEL_LABELS, p.channel),
            p.year,
            p.buyer,
            p.organisation.credit_code,
            p.township.name,
            p.budget,
            p.contract_amount,
            p.signed_on,
            p.personnel_share,
            _yes_no(p.is_social_work),
            p.starts_on,
            p.ends_on,
            _label(STATE_LABELS, p.state),
            p.finished_on,
        )

    def read_only_row(self, p):
        evaluation = getattr(p, "performance_evaluation", None)
        return (
            p.organisation.name,
            p.catalogue_item.name if p.catalogue_item else "",
            evaluation.score if evaluation else None,
        )


PROJECTS = register(ProjectsKind())
