"""``import_data projects`` / ``export_data projects`` (DESIGN.md contract 3): the columns, the
row rules of the project and the personnel-cost cap with row numbers, all-or-nothing, re-import
and export → import as no-ops, township scoping and the audit entries."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from procurement.models import Project
from procurement.resources import ProjectsKind
from tests.factories import OrganisationFactory, ProjectFactory
from tests.imports.conftest import watching, xlsx
from zhenhai_so.importing import export_workbook, run_import

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in ProjectsKind.columns]


@pytest.fixture(autouse=True)
def _english():
    """Messages in their English source form, whatever the catalogue translates."""
    with translation.override("en"):
        yield


@pytest.fixture
def organisation(township):
    return OrganisationFactory(township=township)


def row(organisation, code="ZH-2019-90001", **changes):
    """A valid row: a signed purchase-of-service project of 2019; changes by header."""
    values = {
        "项目编号": code,
        "项目名称": "居家养老服务",
        "资金渠道": "政府购买服务",
        "年度": 2019,
        "购买主体": "区民政局",
        "承接组织统一社会信用代码": organisation.credit_code,
        "所属镇街": None,
        "预算(元)": 50000,
        "合同金额(元)": 48000.5,
        "签约日期": "2019/3/1",
        "人员经费比例(%)": None,
        "社工服务项目": "否",
        "开始日期": "2019-03-05",
        "结束日期": "2019年12月31日",
        "状态": "实施中",
        "完成日期": None,
    }
    values.update(changes)
    return values


def _import(rows, **kwargs):
    return run_import(ProjectsKind(), xlsx(rows, HEADERS), **kwargs)


def test_a_valid_row_creates_the_project_in_its_organisations_township(organisation):
    plan = _import([row(organisation)])
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 0}
    project = Project.objects.get()
    assert (project.code, project.channel, project.state) == (
        "ZH-2019-90001",
        "purchase",
        "running",
    )
    assert project.township == organisation.township
    assert project.contract_amount == Decimal("48000.50")
    assert project.signed_on == datetime.date(2019, 3, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"结束日期": "2019-01-01"}, "row 2: 结束日期: The project ends before it starts."),
        ({"签约日期": None}, "row 2: 签约日期: Give the date the contract was signed."),
        (
            {"状态": "已结项"},
            "row 2: 完成日期: A finished project needs the date it finished.",
        ),
        (
            {"状态": "已结项", "完成日期": "2019-01-02"},
            "row 2: 完成日期: The project cannot finish before it starts.",
        ),
        ({"资金渠道": "招商引资"}, "row 2: 资金渠道: Unknown value 招商引资; use one of: "
                                  "政府购买服务、购买服务、公益创投、项目补助、社会支持."),
        ({"承接组织统一社会信用代码": "51330211MJ0000000X"},
         "row 2: 承接组织统一社会信用代码: No organisation with this credit code."),
        ({"所属镇街": "北仑区"}, "row 2: 所属镇街: Unknown township 北仑区."),
        ({"人员经费比例(%)": 120}, "row 2: 人员经费比例(%): A share is at most 100%."),
        ({"项目编号": None}, "row 2: 项目编号: This column is required."),
    ],
)  # fmt: skip
def test_each_rule_is_reported_with_its_row_and_nothing_is_written(organisation, changes, message):
    plan = _import([row(organisation, **changes)])
    assert [str(e) for e in plan.errors] == [message]
    assert not Project.objects.exists()


def test_the_personnel_cost_cap_is_the_one_in_force_on_the_signing_date(organisation):
    """30 % until the end of 2018, 60 % from 2019 (procurement/reference.py): 45 % is refused
    for a contract signed in 2018 and accepted for one signed in 2019."""
    social = {"社工服务项目": "是", "人员经费比例(%)": 45}
    plan = _import(
        [
            row(organisation, "A-1", **social, **{"签约日期": "2018-12-31"}),
            row(organisation, "A-2", **social, **{"签约日期": "2019-01-01"}),
        ]
    )
    assert [str(e) for e in plan.errors] == [
        "row 2: 人员经费比例(%): A social-work service project may spend at most 30% on "
        "personnel (the cap in force on 2018-12-31)."
    ]
    assert not Project.objects.exists()


def test_an_invalid_row_writes_nothing_unless_skip_invalid(organisation):
    rows = [row(organisation, "A-1"), row(organisation, "A-2", **{"结束日期": "2018-01-01"})]
    plan = _import(rows)
    assert plan.counts["invalid"] == 1
    assert not Project.objects.exists()
    plan = _import(rows, skip_invalid=True)
    assert list(Project.objects.values_list("code", flat=True)) == ["A-1"]


def test_a_repeated_project_number_is_an_error(organisation):
    plan = _import([row(organisation, "A-1"), row(organisation, "A-1")])
    assert [str(e) for e in plan.errors] == ["row 3: 项目编号: The same record as row 2."]


def test_reimport_and_export_then_import_change_nothing(organisation, tmp_path):
    ProjectFactory(code="ZH-2018-00001", organisation=organisation, state="finished",
                   finished_on=datetime.date(2019, 12, 31), is_social_work=True,
                   personnel_share=Decimal("25.5"))  # fmt: skip
    sheet = [row(organisation)]
    _import(sheet)
    assert _import(sheet).counts == {"new": 0, "updated": 0, "unchanged": 1, "invalid": 0}
    path = tmp_path / "projects.xlsx"
    export_workbook(ProjectsKind(), ProjectsKind().export_queryset(), path)
    plan = run_import(ProjectsKind(), path)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 2, "invalid": 0}


def test_an_update_changes_facts_but_never_moves_the_state(organisation):
    _import([row(organisation)])
    plan = _import([row(organisation, **{"预算(元)": 60000})])
    assert plan.counts["updated"] == 1
    project = Project.objects.get()
    assert (project.budget, project.version) == (Decimal("60000"), 2)
    plan = _import([row(organisation, **{"状态": "已终止"})])
    assert [str(e) for e in plan.errors] == [
        "row 2: 状态: The state of an existing project changes on its page (approve, start, …)."
    ]


def test_a_finished_project_is_never_changed(organisation):
    ProjectFactory(code="ZH-2018-00001", organisation=organisation, state="finished",
                   finished_on=datetime.date(2019, 12, 31))  # fmt: skip
    plan = _import(
        [row(organisation, "ZH-2018-00001", **{"状态": "已结项", "完成日期": "2019-12-31"})]
    )
    assert [str(e) for e in plan.errors] == [
        "row 2: 项目编号: A finished or terminated project cannot be changed."
    ]


def test_audit_entries_name_the_importer_and_the_changes(organisation, staff):
    _import([row(organisation)], user=staff)
    _import([row(organisation, **{"项目名称": "居家养老服务(二期)"})], user=staff)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Project)
    ).order_by("id")
    assert [(e.action, e.actor_id) for e in entries] == [
        (LogEntry.Action.CREATE, staff.pk),
        (LogEntry.Action.UPDATE, staff.pk),
    ]
    assert entries[1].changes == {"name": ["居家养老服务", "居家养老服务(二期)"]}


def test_township_users_see_only_their_townships_organisations_and_projects(
    township_user, organisation, other_township
):
    """The kind forces the township (a township office holds no import permission today, so
    this guards the rule, not a page)."""
    outsider = OrganisationFactory(township=other_township)
    ProjectFactory(code="OTHER-1", organisation=outsider)
    plan = _import(
        [
            row(organisation, "OWN-1"),
            row(outsider, "OWN-2"),
            row(organisation, "OWN-3", **{"所属镇街": other_township.name}),
        ],
        user=township_user,
        dry_run=True,
    )
    assert [str(e) for e in plan.errors] == [
        "row 3: 承接组织统一社会信用代码: No organisation with this credit code in your township.",
        f"row 4: 所属镇街: You may only import records of your own township ({organisation.township.name}).",  # noqa: E501
    ]  # fmt: skip
    exported = list(ProjectsKind().export_queryset(township_user))
    assert exported == []


def test_only_the_organisations_named_in_the_file_are_loaded(
    organisation, django_assert_max_num_queries
):
    """The organisations are looked up by the credit codes of the file's 承接组织 column, not
    read whole (a table of the register made an import slower as the register grew), and a
    code typed in lower case and with spaces still finds its organisation."""
    unnamed = OrganisationFactory()
    code = organisation.credit_code
    spaced = f" {code[:6].lower()} {code[6:]} "
    sheet = xlsx(
        [
            row(organisation, "A-1", **{"承接组织统一社会信用代码": spaced}),
            row(organisation, "A-2", **{"承接组织统一社会信用代码": "51330211MJ0000000X"}),
        ],
        HEADERS,
    )
    kind = watching(ProjectsKind)()
    with CaptureQueriesContext(connection) as few:
        plan = run_import(kind, sheet, dry_run=True)
    assert kind.loaded == {code}
    assert unnamed.credit_code not in kind.loaded
    assert [str(e) for e in plan.errors] == [
        "row 3: 承接组织统一社会信用代码: No organisation with this credit code."
    ]
    assert plan.counts["new"] == 1

    OrganisationFactory.create_batch(200)
    with django_assert_max_num_queries(len(few)):
        assert run_import(kind, sheet, dry_run=True).counts == plan.counts
    assert kind.loaded == {code}


def test_the_web_import_is_for_staff_only(client_for, staff, leader, township_user):
    url = reverse("imports:start", kwargs={"kind": "projects"})
    assert client_for(staff).get(url).status_code == 200
    assert client_for(leader).get(url).status_code == 403
    assert client_for(township_user).get(url).status_code == 403


def test_the_commands_import_and_export(organisation, tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(xlsx([row(organisation)], HEADERS).getvalue())
    call_command("import_data", "projects", str(source), stdout=open("/dev/null", "w"))  # noqa: SIM115
    target = tmp_path / "out.xlsx"
    call_command("export_data", "projects", str(target), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert run_import(ProjectsKind(), target).counts["unchanged"] == 1
