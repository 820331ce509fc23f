"""The organisations sheet: every rule of DESIGN.md "What bad input gets" answers with a
row-numbered message, and imports are all or nothing (SECURITY.md items 17 and 18)."""

import datetime
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from registry.models import Community, Organisation, OrgType
from tests.factories import OrganisationFactory, community_of, credit_code_for
from tests.imports.conftest import xlsx
from zhenhai_so.importing import ImportFailed, export_workbook, get_kind, run_import, validate

KIND = "organisations"


def _import(rows, user, **kwargs):
    return run_import(get_kind(KIND), xlsx(rows), user=user, **kwargs)


def _org_entries():
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Organisation))


def _errors(plan):
    return [str(e) for e in plan.errors]


# --- the happy path --------------------------------------------------------------------------


def test_valid_rows_are_created_with_their_facts(staff, township, org_row):
    community = community_of(township)
    plan = _import(
        [org_row(1, 所属村社=community.name, **{"开办资金(万元)": 12.5}), org_row(2)], staff
    )
    assert plan.counts == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    org = Organisation.objects.get(name="镇海区导入测试协会1")
    assert org.org_type == OrgType.SOCIAL_GROUP
    assert org.registration_mode == "direct"
    assert org.sector == "charity"
    assert org.township == township
    assert org.community == community
    assert org.registered_on == datetime.date(2018, 3, 5)
    assert str(org.capital) == "12.50"
    assert org.version == 1


def test_english_field_names_are_accepted_as_headers(staff, township):
    headers = ["credit_code", "name", "org_type", "registration_mode", "sector", "township",
               "registered_on"]  # fmt: skip
    row = [credit_code_for("foundation", 4711), "镇海区某基金会", "基金会", "直接登记", "其他",
           township.code, "2016/7/1"]  # fmt: skip
    plan = run_import(get_kind(KIND), xlsx([row], headers=headers), user=staff)
    assert plan.counts["new"] == 1, _errors(plan)
    assert Organisation.objects.get(name="镇海区某基金会").township == township


def test_a_filed_community_organisation_needs_no_code_and_is_filed_by_default(staff, township):
    community = community_of(township)
    plan = _import(
        [{"名称": "某社区志愿队", "类型": "社区社会组织(备案)", "业务领域": "城乡社区服务类",
          "所属镇街": township.name, "所属村社": community.name, "成立日期": "2019年5月1日"}],
        staff,
    )  # fmt: skip
    assert plan.counts["new"] == 1, _errors(plan)
    org = Organisation.objects.get(name="某社区志愿队")
    assert (org.org_type, org.registration_mode, org.credit_code) == ("community", "filed", "")


# --- what bad input gets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"统一社会信用代码": "51330211MJ0000001X"}, "row 2: 统一社会信用代码: The check digit"),
        ({"统一社会信用代码": None}, "row 2: 统一社会信用代码: A registered organisation needs"),
        ({"类型": "基金会"}, "row 2: 统一社会信用代码: The second character 1 marks"),
        ({"类型": "合作社"}, "row 2: 类型: Unknown value 合作社"),
        ({"登记方式": "备案"}, "row 2: 登记方式: Only community organisations are filed."),
        ({"业务领域": None}, "row 2: 业务领域: This column is required."),
        ({"名称": None}, "row 2: 名称: This column is required."),
        ({"名称": "长" * 201}, "row 2: 名称: At most 200 characters"),
        ({"联系电话": "1" * 31}, "row 2: 联系电话: At most 30 characters"),
        ({"所属镇街": "宁波市"}, "row 2: 所属镇街: Unknown township 宁波市."),
        ({"所属村社": "不存在村"}, "row 2: 所属村社: Unknown village or community 不存在村."),
        (
            {"登记方式": "双重管理"},
            "row 2: 业务主管单位: Dual management needs a supervising unit.",
        ),
        ({"成立日期": "2018-13-01"}, "row 2: 成立日期: Not a date"),
        ({"成立日期": None}, "row 2: 成立日期: This column is required."),
        (
            {"注销日期": "2017-01-01", "状态": "注销"},
            "row 2: 注销日期: The dissolution date is before",
        ),
        (
            {"状态": "撤销"},
            "row 2: 注销日期: A deregistered or revoked organisation needs the date.",
        ),
        ({"注销日期": "2020-01-01"}, "row 2: 状态: An organisation with a dissolution date cannot"),
        ({"开办资金(万元)": "很多"}, "row 2: 开办资金(万元): Not a number"),
    ],
)
def test_each_rule_answers_with_the_row_and_column(staff, org_row, changes, expected):
    plan = _import([org_row(1, **changes)], staff)
    assert plan.counts["invalid"] == 1
    assert any(message.startswith(expected) for message in _errors(plan)), _errors(plan)
    assert not Organisation.objects.exists()


def test_a_community_organisation_cannot_be_registered_directly(staff, township, org_row):
    plan = _import([org_row(1, 类型="社区社会组织", 统一社会信用代码=None)], staff)
    assert _errors(plan) == ["row 2: 登记方式: Community organisations are filed, not registered."]


def test_a_community_of_another_township_is_refused(staff, township, other_township, org_row):
    elsewhere = Community.objects.filter(township=other_township).exclude(
        name__in=Community.objects.filter(township=township).values("name")
    )[0]
    plan = _import([org_row(1, 所属村社=elsewhere.name)], staff)
    assert _errors(plan) == [f"row 2: 所属村社: {elsewhere.name} is not in {township.name}."]


def test_the_same_credit_code_twice_in_a_file_is_refused_on_the_later_row(staff, org_row):
    plan = _import([org_row(1), org_row(2), org_row(1, 名称="同码另一个组织")], staff)
    assert _errors(plan) == ["row 4: 统一社会信用代码: The same record as row 2."]
    assert not Organisation.objects.exists()


def test_row_numbers_follow_excel_even_after_blank_rows(staff, org_row):
    rows = [org_row(1), {}, org_row(2, 名称=None)]
    plan = _import(rows, staff)
    assert _errors(plan) == ["row 4: 名称: This column is required."]


def test_a_sheet_without_a_required_column_is_refused_whole(staff, township):
    with pytest.raises(ImportFailed, match="名称"):
        run_import(get_kind(KIND), xlsx([["x"]], headers=["统一社会信用代码"]), user=staff)


def test_an_unknown_column_is_refused(staff, org_row):
    headers = [*org_row(1).keys(), "备注"]
    with pytest.raises(ImportFailed, match="Unknown column 备注"):
        run_import(get_kind(KIND), xlsx([org_row(1)], headers=headers), user=staff)


def test_a_file_that_is_not_a_workbook_is_refused(staff):
    with pytest.raises(ImportFailed, match="cannot be read"):
        run_import(get_kind(KIND), io.BytesIO(b"PK\x03\x04 not really"), user=staff)


# --- all or nothing ---------------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_written(staff, org_row):
    plan = _import([org_row(1), org_row(2), org_row(3, 成立日期="昨天")], staff)
    assert plan.counts == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 1}
    assert not Organisation.objects.exists()
    assert not _org_entries().exists()


def test_skip_invalid_writes_the_valid_rows_only(staff, org_row):
    plan = _import([org_row(1), org_row(2, 成立日期="昨天"), org_row(3)], staff, skip_invalid=True)
    assert _errors(plan) == ["row 3: 成立日期: Not a date: 昨天 (write 2018-03-05, 2018/3/5 or "
                             "2018年3月5日)."]  # fmt: skip
    assert sorted(Organisation.objects.values_list("name", flat=True)) == [
        "镇海区导入测试协会1",
        "镇海区导入测试协会3",
    ]


def test_dry_run_writes_nothing(staff, org_row):
    plan = _import([org_row(1)], staff, dry_run=True)
    assert plan.counts["new"] == 1
    assert not Organisation.objects.exists()


def test_a_database_constraint_rolls_back_the_whole_import(staff, org_row, monkeypatch):
    """The row checks mirror the constraints; should one slip through, the database refuses and
    nothing is left half-saved."""
    kind = get_kind(KIND)
    plan = validate(kind, xlsx([org_row(1), org_row(2)]), user=staff)
    plan.new[1].instance.registration_mode = "filed"  # violates org_filed_only_community
    with pytest.raises(ImportFailed, match="refused"):
        kind.apply(plan, user=staff)
    assert not Organisation.objects.exists()
    assert not _org_entries().exists()


# --- matching: updates, re-imports, export round trip ----------------------------------------


def test_rows_update_the_record_with_their_credit_code_and_bump_its_version(staff, org_row):
    existing = OrganisationFactory(credit_code=org_row(1)["统一社会信用代码"], name="旧名称")
    untouched = OrganisationFactory(name="别的组织")
    plan = _import([org_row(1, 住所="新住所")], staff)
    assert plan.counts == {"new": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    existing.refresh_from_db()
    assert (existing.name, existing.address, existing.version) == (
        "镇海区导入测试协会1",
        "新住所",
        2,
    )
    untouched.refresh_from_db()
    assert (untouched.name, untouched.version) == ("别的组织", 1)


def test_filed_organisations_are_matched_by_township_and_name(staff, township, other_township):
    same = OrganisationFactory(org_type=OrgType.COMMUNITY, name="广场舞队", township=township)
    namesake = OrganisationFactory(
        org_type=OrgType.COMMUNITY, name="广场舞队", township=other_township
    )
    row = {"名称": "广场舞队", "类型": "社区社会组织", "业务领域": "其他",
           "所属镇街": township.name, "成立日期": "2015-03-01", "法定代表人": "王五"}  # fmt: skip
    plan = _import([row], staff)
    assert plan.counts["updated"] == 1, _errors(plan)
    same.refresh_from_db()
    namesake.refresh_from_db()
    assert (same.legal_representative, namesake.legal_representative) == ("王五", "张三")


def test_importing_the_same_file_again_changes_nothing(staff, org_row):
    rows = [org_row(n) for n in range(1, 6)]
    _import(rows, staff)
    entries = _org_entries().count()
    plan = _import(rows, staff)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 5, "invalid": 0}
    assert _org_entries().count() == entries
    assert set(Organisation.objects.values_list("version", flat=True)) == {1}


def test_a_column_left_out_leaves_that_field_alone(staff, org_row):
    OrganisationFactory(credit_code=org_row(1)["统一社会信用代码"], address="原住所", phone="123")
    row = org_row(1)
    del row["住所"], row["联系电话"]
    headers = list(row)
    plan = run_import(get_kind(KIND), xlsx([row], headers=headers), user=staff)
    assert plan.counts["invalid"] == 0
    org = Organisation.objects.get()
    assert (org.address, org.phone) == ("原住所", "123")


def test_export_then_import_changes_nothing(staff, township, tmp_path):
    community = community_of(township)
    OrganisationFactory.create_batch(
        3, township=township, capital="12.50", phone="=cmd|' /C calc'!A0"
    )
    OrganisationFactory(org_type=OrgType.COMMUNITY, community=community, township=township)
    OrganisationFactory(org_type=OrgType.FOUNDATION, registration_mode="dual",
                        supervising_unit="区民政局", status="deregistered",
                        dissolved_on=datetime.date(2020, 1, 2))  # fmt: skip
    kind = get_kind(KIND)
    path = tmp_path / "organisations.xlsx"
    export_workbook(kind, kind.export_queryset(staff), path)
    plan = run_import(kind, path, user=staff)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 5, "invalid": 0}, _errors(plan)


# --- township offices -------------------------------------------------------------------------


def test_a_township_user_imports_into_their_own_township(township_user, township):
    row = {
        "名称": "邻里互助会",
        "类型": "社区社会组织",
        "业务领域": "其他",
        "成立日期": "2020-01-01",
    }
    plan = _import([row], township_user)
    assert plan.counts["new"] == 1, _errors(plan)
    assert Organisation.objects.get().township == township


def test_a_township_user_cannot_name_another_township(township_user, township, other_township):
    row = {"名称": "邻里互助会", "类型": "社区社会组织", "业务领域": "其他",
           "成立日期": "2020-01-01", "所属镇街": other_township.name}  # fmt: skip
    plan = _import([row], township_user)
    assert _errors(plan) == [
        "row 2: 所属镇街: You may only import organisations of your own township "
        f"({township.name})."
    ]
    assert not Organisation.objects.exists()


def test_a_township_user_may_import_filed_community_organisations_only(township_user, org_row):
    plan = _import([org_row(1)], township_user)
    assert _errors(plan) == [
        "row 2: 类型: Township offices may only import filed community organisations."
    ]


def test_a_township_user_cannot_reach_another_townships_record(
    township_user, other_township, org_row
):
    code = credit_code_for("social_group", 77)
    OrganisationFactory(org_type=OrgType.COMMUNITY, credit_code=code, township=other_township)
    row = {"统一社会信用代码": code, "名称": "改名", "类型": "社区社会组织", "业务领域": "其他",
           "成立日期": "2020-01-01"}  # fmt: skip
    plan = _import([row], township_user)
    assert _errors(plan) == [
        "row 2: 统一社会信用代码: "
        "This credit code belongs to an organisation outside your township."
    ]


# --- audit log and query counts ---------------------------------------------------------------


def test_each_created_and_changed_record_is_in_the_audit_log(staff, org_row):
    existing = OrganisationFactory(credit_code=org_row(1)["统一社会信用代码"], address="旧")
    plan = _import([org_row(1, 住所="新"), org_row(2)], staff, remote_addr="10.0.0.7")
    assert plan.counts["invalid"] == 0
    org_type = ContentType.objects.get_for_model(Organisation)
    update = LogEntry.objects.get(
        content_type=org_type, object_id=existing.pk, action=LogEntry.Action.UPDATE
    )
    assert update.action == LogEntry.Action.UPDATE
    assert update.changes["address"] == ["旧", "新"]
    assert update.actor == staff
    assert update.remote_addr == "10.0.0.7"
    created = Organisation.objects.get(name="镇海区导入测试协会2")
    create = LogEntry.objects.get(content_type=org_type, object_id=created.pk)
    assert create.action == LogEntry.Action.CREATE
    assert create.changes["name"] == ["None", "镇海区导入测试协会2"]
    assert create.changes["township"] == ["None", str(created.township_id)]
    assert "version" not in create.changes


def _batches(model, count: int) -> int:
    """INSERT statements bulk_create needs: one per 1000 rows on PostgreSQL; SQLite allows
    999 parameters a statement, so there it is one per ~60 rows."""
    if not count:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = min(connection.ops.bulk_batch_size(fields, [None] * count) or count, 1000)
    return -(-count // size)


@pytest.mark.parametrize("rows", [10, 200])
def test_the_import_runs_a_fixed_number_of_queries(
    staff, org_row, rows, django_assert_max_num_queries
):
    half = rows // 2
    _import([org_row(n) for n in range(1, half + 1)], staff)
    changed = [org_row(n, 住所="新住所") for n in range(1, half + 1)]
    new = [org_row(n) for n in range(half + 1, rows + 1)]
    # Townships, communities, active organisations by name (duplicates), existing organisations
    # by code; savepoint, update, content type, release: 8 whatever the row count, plus the
    # INSERT batches of organisations and entries.
    inserts = _batches(Organisation, half) + _batches(LogEntry, rows)
    with django_assert_max_num_queries(8 + inserts):
        plan = _import(changed + new, staff)
    assert plan.counts == {"new": half, "updated": half, "unchanged": 0, "invalid": 0}
