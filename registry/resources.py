"""The register's Excel sheets: ``organisations`` and ``annual-reports`` (DESIGN.md contracts 3
and 4). The framework (reading, matching, bulk writing, audit entries) is
``zhenhai_so.importing``; what is here is the columns, the Chinese labels and the row rules,
which mirror ``Organisation.clean()`` and the models' constraints so a bad row gets a
row-numbered message instead of a database error."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenhai_so.importing import (
    Column,
    ImportKind,
    Row,
    in_chunks,
    is_blank,
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

from .models import (
    LEGAL_TYPES,
    SUBMISSION_REQUIRED,
    AnnualReport,
    Community,
    Organisation,
    OrgStatus,
    OrgType,
    RegistrationMode,
    Sector,
    Township,
    credit_code_is_valid,
)
from .validators import normalise_credit_code, validate_credit_code

# The models' labels are English gettext strings; the sheets use the bureau's Chinese terms.
# The first label of each value is the one exported.
ORG_TYPE_LABELS = {
    OrgType.SOCIAL_GROUP: ("社会团体", "社团"),
    OrgType.PRIVATE_NON_ENTERPRISE: ("民办非企业单位", "社会服务机构", "民非"),
    OrgType.FOUNDATION: ("基金会",),
    OrgType.COMMUNITY: ("社区社会组织", "社区社会组织(备案)", "社区社会组织（备案）"),
}
MODE_LABELS = {
    RegistrationMode.DIRECT: ("直接登记",),
    RegistrationMode.DUAL: ("双重管理",),
    RegistrationMode.FILED: ("备案",),
}
SECTOR_LABELS = {
    Sector.INDUSTRY_ASSOCIATION: ("行业协会商会",),
    Sector.SCIENCE_TECH: ("科技类",),
    Sector.CHARITY: ("公益慈善类",),
    Sector.COMMUNITY_SERVICE: ("城乡社区服务类",),
    Sector.OTHER: ("其他",),
}
STATUS_LABELS = {
    OrgStatus.NORMAL: ("正常",),
    OrgStatus.DEREGISTERED: ("注销",),
    OrgStatus.REVOKED: ("撤销",),
}
RESULT_LABELS = {
    AnnualReport.Result.QUALIFIED: ("合格",),
    AnnualReport.Result.BASICALLY: ("基本合格",),
    AnnualReport.Result.UNQUALIFIED: ("不合格",),
}


def _choices(labels: dict) -> dict[str, str]:
    """Label or stored value → stored value."""
    mapping = {}
    for value, names in labels.items():
        for name in names:
            mapping[name] = str(value)
        mapping[str(value)] = str(value)
    return mapping


def _label(labels: dict, value) -> str:
    return labels[value][0] if value in labels else (value or "")


def _visible(model, user):
    """What the user may see; everything for the command line run without --user."""
    return model.objects.visible_to(user) if user is not None else model.objects.all()


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _credit_code(row: Row, org_type: str | None, *, required: bool) -> str:
    """The normalised code, checked against GB 32100 and the type (validate_credit_code)."""
    code = normalise_credit_code(row.value("credit_code", parse_text) or "")
    if not code:
        if required:
            row.error("credit_code", _("A registered organisation needs its credit code."))
        return ""
    if credit_code_is_valid(code, org_type or ""):  # remembered: the write asks again
        return code
    try:
        validate_credit_code(code, org_type)
    except ValidationError as error:
        row.error("credit_code", " ".join(error.messages))
    return code


def _one_code(text: str) -> list[str]:
    """The credit code a cell holds, normalised (none for a blank cell)."""
    code = normalise_credit_code(text)
    return [code] if code else []


def credit_codes_written(
    rows: list[Row],
    *,
    field: str = "credit_code",
    split: Callable[[str], Iterable[str]] = _one_code,
) -> list[str]:
    """The credit codes in the rows' ``field`` cells, read as ``parse_row`` reads them, for
    ``ImportKind.prefetch`` to look up: ``split`` turns a cell's text into its normalised codes
    (by default the one code of the cell; ``partybuilding.resources.split_codes`` for a cell
    listing several). A code longer than the column is no organisation's and is left out."""
    longest = model_max_length(Organisation, "credit_code")
    codes = set()
    for row in rows:
        for code in split(parse_text(row.raw(field))):
            if code and len(code) <= longest:
                codes.add(code)
    return sorted(codes)


def organisations_named(
    rows: list[Row],
    scope,
    *,
    field: str = "credit_code",
    split: Callable[[str], Iterable[str]] = _one_code,
):
    """The organisations of ``scope`` whose credit codes the rows name in their ``field`` cells
    (read by ``split``, as in ``credit_codes_written``), as one queryset per chunk of codes (one
    query each, whatever the size of the register): what an import's ``prefetch`` loads before
    its rows are parsed."""
    for chunk in in_chunks(credit_codes_written(rows, field=field, split=split)):
        yield scope.filter(credit_code__in=chunk)


# ---------------------------------------------------------------------------------------------
# Organisations


def townships_by_name_and_code() -> dict[str, Township]:
    """Every township under its name and its 12-digit code (one query)."""
    townships = {}
    for township in Township.objects.only("id", "name", "code"):
        townships[township.name] = townships[township.code] = township
    return townships


def parse_township(
    row: Row, ctx: dict, *, required: bool, refusal: str | None = None
) -> int | None:
    """The ``township`` cell as an id; a township office's own township when the cell is blank,
    and an error when it names another (SECURITY.md item 17): ``refusal``, a message with
    ``%(name)s`` for the office's own township, says so in the sheet's own words."""
    forced = ctx["township_id"]
    text = row.value("township", parse_text)
    if not text:
        if forced is None and required and not row.failed("township"):
            row.error("township", _("This column is required."))
        return forced
    township = ctx["townships"].get(text)
    if township is None:
        row.error("township", _("Unknown township %(name)s.") % {"name": text})
        return None
    if forced is not None and township.id != forced:
        row.error(
            "township",
            (refusal or _("You may only import records of your own township (%(name)s)."))
            % {"name": ctx["township_names"][forced]},
        )
        return None
    return township.id


def scope_context(user) -> dict:
    """Lookups of an import scoped to ``user``: townships by name or code, and the township a
    township office is held to (None for bureau staff)."""
    townships = townships_by_name_and_code()
    return {
        "user": user,
        "township_id": getattr(user, "scope_township_id", None),
        "townships": townships,
        "township_names": {t.id: t.name for t in townships.values()},
    }


class OrganisationsKind(ImportKind):
    name = "organisations"
    label = gettext_lazy("Organisations")
    model = Organisation
    columns = (
        Column("统一社会信用代码", "credit_code"),
        Column("名称", "name", required=True),
        Column("类型", "org_type", required=True),
        Column("登记方式", "registration_mode"),
        Column("业务领域", "sector", required=True),
        Column("所属镇街", "township", ("所属镇(街道)",)),
        Column("所属村社", "community", ("所属村(社区)",)),
        Column("业务主管单位", "supervising_unit"),
        Column("法定代表人", "legal_representative"),
        Column("成立日期", "registered_on", ("登记日期",), required=True),
        Column("注销日期", "dissolved_on"),
        Column("状态", "status"),
        Column("住所", "address"),
        Column("联系电话", "phone"),
        Column("开办资金(万元)", "capital"),
    )
    read_only_columns = (Column("评估等级", "grade"),)
    # Writing organisations: staff hold both; township offices too, for filed ones only.
    import_permissions = ("registry.add_organisation", "registry.change_organisation")
    export_permission = "registry.export_organisation"

    TYPES = _choices(ORG_TYPE_LABELS)
    MODES = _choices(MODE_LABELS)
    SECTORS = _choices(SECTOR_LABELS)
    STATUSES = _choices(STATUS_LABELS)
    TEXT_FIELDS = ("supervising_unit", "legal_representative", "address", "phone")

    def prepare(self, *, user) -> dict:
        """Townships by name and code, communities by (township, name) and code: one query
        each. A township office is confined to its township (SECURITY.md item 17)."""
        communities, community_townships = {}, {}
        for community in Community.objects.only("id", "name", "code", "township_id"):
            communities[(community.township_id, community.name)] = community
            communities[(community.township_id, community.code)] = community
            community_townships.setdefault(community.name, community.township_id)
        return {
            **scope_context(user),
            "communities": communities,
            "community_townships": community_townships,
            "lengths": {name: model_max_length(Organisation, name) for name in self.TEXT_FIELDS},
        }

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """The active organisations bearing the names written in the rows, by (township, name):
        a row that would register a second one is refused naming it. One query per chunk."""
        names = sorted({str(row.raw("name")).strip() for row in rows if row.raw("name")})
        active = ctx["active_by_name"] = {}
        for chunk in in_chunks(names):
            found = Organisation.objects.filter(name__in=chunk, status=OrgStatus.NORMAL)
            for org in found.only("id", "name", "township_id", "credit_code"):
                active.setdefault((org.township_id, org.name), org)

    def parse_row(self, row: Row, ctx: dict) -> dict:
        forced = ctx["township_id"]
        name = row.value("name", parse_text, max_length=model_max_length(Organisation, "name"))
        if not row.failed("name") and not name:
            row.error("name", _("This column is required."))
        org_type = row.value("org_type", parse_choice, self.TYPES)
        mode = row.value("registration_mode", parse_choice, self.MODES, required=False)
        if not mode and org_type == OrgType.COMMUNITY:
            mode = RegistrationMode.FILED
        elif not mode and not row.failed("registration_mode"):
            row.error("registration_mode", _("This column is required."))
        sector = row.value("sector", parse_choice, self.SECTORS)
        status = (
            row.value("status", parse_choice, self.STATUSES, required=False) or OrgStatus.NORMAL
        )
        code = _credit_code(
            row,
            org_type or None,
            required=bool(org_type) and org_type != OrgType.COMMUNITY,
        )
        township_id = self._township(row, ctx)
        community_id = self._community(row, ctx, township_id)
        texts = {
            field: row.value(field, parse_text, max_length=ctx["lengths"][field])
            for field in self.TEXT_FIELDS
        }
        registered_on = row.value("registered_on", parse_past_date, required=True)
        dissolved_on = row.value("dissolved_on", parse_past_date)
        capital = row.value("capital", parse_decimal, max_digits=12, decimal_places=2)

        # The rules of Organisation.clean() and Meta.constraints, with row numbers.
        if forced is not None and org_type and org_type != OrgType.COMMUNITY:
            row.error(
                "org_type",
                _("Township offices may only import filed community organisations."),
            )
        if org_type and mode and not row.failed("org_type", "registration_mode"):
            if org_type == OrgType.COMMUNITY and mode != RegistrationMode.FILED:
                row.error(
                    "registration_mode", _("Community organisations are filed, not registered.")
                )
            elif org_type != OrgType.COMMUNITY and mode == RegistrationMode.FILED:
                row.error("registration_mode", _("Only community organisations are filed."))
        if mode == RegistrationMode.DUAL and not texts["supervising_unit"]:
            row.error("supervising_unit", _("Dual management needs a supervising unit."))
        if registered_on and dissolved_on and dissolved_on < registered_on:
            row.error("dissolved_on", _("The dissolution date is before the registration date."))
        if not row.failed("status", "dissolved_on"):
            if status != OrgStatus.NORMAL and not dissolved_on:
                row.error(
                    "dissolved_on", _("A deregistered or revoked organisation needs the date.")
                )
            if status == OrgStatus.NORMAL and dissolved_on:
                row.error("status", _("An organisation with a dissolution date cannot be normal."))
        namesake = ctx.get("active_by_name", {}).get((township_id, name))
        # The same record (same code, or a filed one matched by its name) is an update.
        if (
            namesake is not None
            and code
            and namesake.credit_code != code
            and status == OrgStatus.NORMAL
        ):
            row.error(
                "name",
                _(
                    "%(name)s of this township already has this name (%(url)s): an "
                    "organisation is registered or filed once."
                )
                % {"name": namesake.name, "url": namesake.get_absolute_url()},
            )
        return {
            "credit_code": code,
            "name": name,
            "org_type": org_type,
            "registration_mode": mode,
            "sector": sector,
            "township_id": township_id,
            "community_id": community_id,
            **texts,
            "registered_on": registered_on,
            "dissolved_on": dissolved_on,
            "status": status,
            "capital": capital,
        }

    def _township(self, row: Row, ctx: dict) -> int | None:
        return parse_township(
            row,
            ctx,
            required=True,
            refusal=_("You may only import organisations of your own township (%(name)s)."),
        )

    def _community(self, row: Row, ctx: dict, township_id: int | None) -> int | None:
        text = row.value("community", parse_text)
        if not text or township_id is None:
            return None
        community = ctx["communities"].get((township_id, text))
        if community is not None:
            return community.id
        if text in ctx["community_townships"]:
            row.error(
                "community",
                _("%(name)s is not in %(township)s.")
                % {"name": text, "township": ctx["township_names"][township_id]},
            )
        else:
            row.error("community", _("Unknown village or community %(name)s.") % {"name": text})
        return None

    def key(self, values: dict) -> Hashable:
        """Legal organisations by credit code; filed ones, which have none, by (township, name)."""
        if values["credit_code"]:
            return ("code", values["credit_code"])
        return ("name", values["township_id"], values["name"])

    def load_existing(self, keys, ctx) -> dict:
        fields = ["id", "version", *self._attnames()]
        codes = [k[1] for k in keys if k[0] == "code"]
        names = sorted({k[2] for k in keys if k[0] == "name"})
        found = {}
        for chunk in in_chunks(codes):
            for org in Organisation.objects.filter(credit_code__in=chunk).only(*fields):
                found[("code", org.credit_code)] = org
        for chunk in in_chunks(names):
            matches = Organisation.objects.filter(credit_code="", name__in=chunk).only(*fields)
            for org in matches:
                found.setdefault(("name", org.township_id, org.name), org)
        return found

    def _attnames(self) -> list[str]:
        return [
            "credit_code",
            "name",
            "org_type",
            "registration_mode",
            "sector",
            "township_id",
            "community_id",
            *self.TEXT_FIELDS,
            "registered_on",
            "dissolved_on",
            "status",
            "capital",
        ]

    def check_match(self, row: Row, values: dict, instance, ctx: dict) -> None:
        forced = ctx["township_id"]
        if forced is None:
            return
        if instance.township_id != forced:
            row.error(
                "credit_code",
                _("This credit code belongs to an organisation outside your township."),
            )
        elif instance.org_type != OrgType.COMMUNITY:
            row.error(
                "org_type",
                _("Township offices may only import filed community organisations."),
            )

    def export_queryset(self, user=None):
        return _visible(Organisation, user).select_related("township", "community").order_by("id")

    def export_row(self, o):
        return (
            o.credit_code,
            o.name,
            _label(ORG_TYPE_LABELS, o.org_type),
            _label(MODE_LABELS, o.registration_mode),
            _label(SECTOR_LABELS, o.sector),
            o.township.name,
            o.community.name if o.community_id else "",
            o.supervising_unit,
            o.legal_representative,
            o.registered_on,
            o.dissolved_on,
            _label(STATUS_LABELS, o.status),
            o.address,
            o.phone,
            o.capital,
        )

    def read_only_row(self, o):
        return (o.grade,)


# ---------------------------------------------------------------------------------------------
# Annual reports

_REPORT_FLAGS = (
    "office_independent",
    "has_finance_system",
    "has_assembly",
    "has_council",
    "has_supervisor",
    "charter_party_clause",
)


class AnnualReportsKind(ImportKind):
    name = "annual-reports"
    label = gettext_lazy("Annual reports")
    model = AnnualReport
    columns = (
        Column("统一社会信用代码", "credit_code", required=True),
        Column("年度", "year", required=True),
        Column("报送日期", "submitted_on"),
        Column("年检结论", "result"),
        Column("专职工作人员数", "full_time_staff"),
        Column("办公面积(平方米)", "office_area"),
        Column("独立办公场所", "office_independent"),
        Column("财务管理制度", "has_finance_system"),
        Column("会员(代表)大会", "has_assembly"),
        Column("理事会", "has_council"),
        Column("监事(会)", "has_supervisor"),
        Column("正式党员数", "party_members"),
        Column("章程含党建内容", "charter_party_clause"),
        Column("年度收入(万元)", "income"),
        Column("年度支出(万元)", "spending"),
    )
    # The annual-report board's columns beside the report's (its export is this sheet).
    read_only_columns = (
        Column("名称", "name"),
        Column("所属镇街", "township"),
        Column("报送情况", "reporting_status"),
        Column("天数", "days"),
    )
    import_permissions = ("registry.add_annualreport", "registry.change_annualreport")
    export_permission = "registry.view_annualreport"

    RESULTS = _choices(RESULT_LABELS)

    def prepare(self, *, user) -> dict:
        """The organisations the user may see, to be loaded by ``prefetch`` for the credit codes
        of the file. Reports belong to legal organisations only (filed ones do not report to
        the bureau)."""
        return {
            "user": user,
            "township_id": getattr(user, "scope_township_id", None),
            "organisation_scope": _visible(Organisation, user).exclude(credit_code=""),
            "organisations": {},
            "today": timezone.localdate(),
        }

    def prefetch(self, rows: list[Row], ctx: dict) -> None:
        """The organisations of the credit codes written in the rows, by code: one query per
        chunk of codes, whatever the size of the register."""
        organisations = ctx["organisations"]
        for found in organisations_named(rows, ctx["organisation_scope"]):
            for org in found.only("id", "name", "credit_code", "org_type", "registered_on"):
                organisations[org.credit_code] = org

    def parse_row(self, row: Row, ctx: dict) -> dict:
        today = ctx["today"]
        code = _credit_code(row, None, required=True)
        organisation = None
        if code and not row.failed("credit_code"):
            organisation = ctx["organisations"].get(code)
            if organisation is None:
                reason = (
                    _("No organisation with this credit code in your township.")
                    if ctx["township_id"] is not None
                    else _("No organisation with this credit code.")
                )
                row.error("credit_code", reason)
            elif organisation.org_type not in LEGAL_TYPES:
                row.error("credit_code", _("Only registered organisations file annual reports."))
        year = row.value("year", parse_int, minimum=1949, maximum=today.year)
        if year is None and not row.failed("year"):
            row.error("year", _("This column is required."))
        elif (
            organisation is not None and year is not None and year < organisation.registered_on.year
        ):
            row.error(
                "year",
                _("The organisation was registered in %(year)d.")
                % {"year": organisation.registered_on.year},
            )
        submitted_on = row.value("submitted_on", parse_date)
        if submitted_on and submitted_on > today:
            row.error("submitted_on", _("The date received cannot be in the future."))
        values = {
            "organisation_id": organisation.id if organisation else None,
            "year": year,
            "submitted_on": submitted_on,
            "result": row.value("result", parse_choice, self.RESULTS, required=False),
            "full_time_staff": row.value("full_time_staff", parse_int),
            "office_area": row.value("office_area", parse_decimal, max_digits=9, decimal_places=1),
            "party_members": row.value("party_members", parse_int),
            "income": row.value("income", parse_decimal, max_digits=12, decimal_places=2),
            "spending": row.value("spending", parse_decimal, max_digits=12, decimal_places=2),
        }
        for flag in _REPORT_FLAGS:
            values[flag] = row.value(flag, parse_bool)
        if AnnualReport.missing_submission(values):
            row.error("submitted_on", SUBMISSION_REQUIRED)
        return values

    def key(self, values: dict) -> Hashable:
        return (values["organisation_id"], values["year"])

    def nothing_to_create(self, row: Row) -> bool:
        """A row with the code and year only: an organisation that has not reported (the
        board's export lists them), not a report to create."""
        return all(
            is_blank(row.raw(c.field))
            for c in self.columns
            if c.field not in ("credit_code", "year")
        )

    def load_existing(self, keys, ctx) -> dict:
        wanted = set(keys)
        found = {}
        organisation_ids = sorted({org_id for org_id, _year in keys})
        by_id = {org.id: org for org in ctx["organisations"].values()}
        for chunk in in_chunks(organisation_ids):
            for report in AnnualReport.objects.filter(organisation_id__in=chunk):
                key = (report.organisation_id, report.year)
                if key in wanted:
                    report.organisation = by_id[report.organisation_id]  # for str(), no query
                    found[key] = report
        return found

    def build(self, values: dict, ctx: dict) -> AnnualReport:
        report = AnnualReport(**values)
        by_id = ctx.setdefault("_by_id", {org.id: org for org in ctx["organisations"].values()})
        report.organisation = by_id[values["organisation_id"]]
        return report

    def export_queryset(self, user=None):
        return (
            _visible(AnnualReport, user)
            .select_related("organisation")
            .order_by("organisation_id", "year")
        )

    def export_row(self, r):
        return (
            r.organisation.credit_code,
            r.year,
            r.submitted_on,
            _label(RESULT_LABELS, r.result),
            r.full_time_staff,
            r.office_area,
            _yes_no(r.office_independent),
            _yes_no(r.has_finance_system),
            _yes_no(r.has_assembly),
            _yes_no(r.has_council),
            _yes_no(r.has_supervisor),
            r.party_members,
            _yes_no(r.charter_party_clause),
            r.income,
            r.spending,
        )


ORGANISATIONS = register(OrganisationsKind())
ANNUAL_REPORTS = register(AnnualReportsKind())
