"""``import_data party`` and ``import_data trainings`` (DESIGN.md contract 3): row rules with row
numbers, all-or-nothing, re-import and export → import as no-ops, township scoping, audit."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from partybuilding.models import PartyOrganisation, Training
from partybuilding.resources import PartyKind, TrainingsKind
from tests.factories import OrganisationFactory, TrainingFactory
from tests.imports.conftest import watching, xlsx
from zhenhai_so.importing import export_workbook, run_import

pytestmark = pytest.mark.django_db
PARTY_HEADERS = [c.header for c in PartyKind.columns]
TRAINING_HEADERS = [c.header for c in TrainingsKind.columns]


@pytest.fixture(autouse=True)
def _english():
    """Messages in their English source form, whatever the catalogue translates."""
    with translation.override("en"):
        yield


@pytest.fixture
def orgs(township):
    return [OrganisationFactory(township=township) for _ in range(3)]


def party_row(township, codes, **changes):
    values = {
        "党组织名称": "社会组织联合党支部",
        "组建方式": "联合组建",
        "覆盖组织统一社会信用代码": "；".join(codes),
        "所属镇街": township.name,
        "成立日期": "2018-07-01",
        "撤销日期": None,
        "书记": "王芳",
    }
    values.update(changes)
    return values


def _party(rows, **kwargs):
    return run_import(PartyKind(), xlsx(rows, PARTY_HEADERS), **kwargs)


def test_a_joint_party_organisation_covers_the_organisations_listed(township, orgs):
    codes = [o.credit_code for o in orgs[:2]]
    plan = _party([party_row(township, [codes[0], f" {codes[1].lower()} "])])
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 0}
    party = PartyOrganisation.objects.get()
    assert set(party.organisations.all()) == set(orgs[:2])
    assert (party.kind, party.township, party.secretary) == ("joint", township, "王芳")


@pytest.mark.parametrize(
    ("changes", "n_codes", "message"),
    [
        ({}, 1, "row 2: 覆盖组织统一社会信用代码: "
                "A joint party organisation covers at least two organisations."),
        ({"组建方式": "单独组建"}, 2, "row 2: 覆盖组织统一社会信用代码: "
                                     "A party organisation set up alone covers exactly one organisation."),  # noqa: E501
        ({"撤销日期": "2018-06-30"}, 2, "row 2: 撤销日期: Dissolved before it was established."),
        ({"组建方式": "挂靠"}, 2, "row 2: 组建方式: Unknown value 挂靠; use one of: 单独组建、联合组建."),  # noqa: E501
        ({"成立日期": None}, 2, "row 2: 成立日期: This column is required."),
        ({"所属镇街": None}, 2, "row 2: 所属镇街: This column is required."),
    ],
)  # fmt: skip
def test_each_party_rule_is_reported_with_its_row(township, orgs, changes, n_codes, message):
    codes = [o.credit_code for o in orgs[:n_codes]]
    plan = _party([party_row(township, codes, **changes)])
    assert [str(e) for e in plan.errors] == [message]
    assert not PartyOrganisation.objects.exists()


def test_covered_organisations_must_exist_and_be_in_the_township(township, orgs, other_township):
    outsider = OrganisationFactory(township=other_township)
    plan = _party(
        [
            party_row(township, [orgs[0].credit_code, "51330211MJ0000000X"]),
            party_row(township, [orgs[0].credit_code, outsider.credit_code], 党组织名称="乙"),
        ]
    )
    assert [str(e) for e in plan.errors] == [
        "row 2: 覆盖组织统一社会信用代码: No organisation with the credit code 51330211MJ0000000X.",
        "row 3: 覆盖组织统一社会信用代码: "
        "Every organisation covered must be in the party organisation's township.",
    ]


def test_party_import_is_all_or_nothing_unless_skip_invalid(township, orgs):
    rows = [
        party_row(township, [o.credit_code for o in orgs[:2]]),
        party_row(township, [orgs[2].credit_code], 党组织名称="乙"),
    ]
    assert _party(rows).counts["invalid"] == 1
    assert not PartyOrganisation.objects.exists()
    _party(rows, skip_invalid=True)
    assert list(PartyOrganisation.objects.values_list("name", flat=True)) == ["社会组织联合党支部"]


def test_party_reimport_and_export_then_import_change_nothing(township, orgs, tmp_path):
    rows = [
        party_row(township, [o.credit_code for o in orgs[:2]]),
        party_row(township, [orgs[2].credit_code], 党组织名称="乙党支部", 组建方式="单独组建"),
    ]
    _party(rows)
    assert _party(rows).counts == {"new": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    path = tmp_path / "party.xlsx"
    export_workbook(PartyKind(), PartyKind().export_queryset(), path)
    assert run_import(PartyKind(), path).counts["unchanged"] == 2


def test_changing_the_coverage_is_written_and_audited(township, orgs, staff):
    _party([party_row(township, [o.credit_code for o in orgs[:2]])], user=staff)
    plan = _party([party_row(township, [o.credit_code for o in orgs])], user=staff)
    assert plan.counts["updated"] == 1
    party = PartyOrganisation.objects.get()
    assert set(party.organisations.all()) == set(orgs)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(PartyOrganisation), actor=staff
    ).order_by("id")
    coverage = [e.changes["organisations"] for e in entries if "organisations" in e.changes]
    before = "；".join(sorted(o.credit_code for o in orgs[:2]))
    after = "；".join(sorted(o.credit_code for o in orgs))
    assert coverage == [["None", before], [before, after]]
    assert entries[0].action == LogEntry.Action.CREATE


def test_a_township_office_imports_only_for_its_township(
    township, orgs, township_user, other_township
):
    outsider = OrganisationFactory(township=other_township)
    plan = _party(
        [
            party_row(township, [o.credit_code for o in orgs[:2]], 所属镇街=None),
            party_row(other_township, [outsider.credit_code, orgs[0].credit_code], 党组织名称="乙"),
        ],
        user=township_user,
        dry_run=True,
    )
    assert plan.counts["new"] == 1
    assert [str(e) for e in plan.errors] == [
        f"row 3: 所属镇街: You may only import records of your own township ({township.name}).",
        f"row 3: 覆盖组织统一社会信用代码: No organisation with the credit code {outsider.credit_code}.",  # noqa: E501
    ]  # fmt: skip


def test_only_the_organisations_covered_in_the_file_are_loaded(
    township, orgs, django_assert_max_num_queries
):
    """The organisations are looked up by the credit codes the 覆盖组织 cells list (split and
    normalised as the rows are read), not read whole (a table of the register made an import
    slower as the register grew)."""
    unnamed = OrganisationFactory(township=township)
    first, second, third = (o.credit_code for o in orgs)
    sheet = xlsx(
        [
            party_row(township, [f" {first.lower()}", second], 党组织名称="甲"),
            party_row(township, [], 党组织名称="乙", 覆盖组织统一社会信用代码=f"{second}、{third}"),
            party_row(township, [third, "51330211MJ0000000X"], 党组织名称="丙"),
        ],
        PARTY_HEADERS,
    )
    kind = watching(PartyKind)()
    with CaptureQueriesContext(connection) as few:
        plan = run_import(kind, sheet, dry_run=True)
    assert kind.loaded == {first, second, third}
    assert unnamed.credit_code not in kind.loaded
    assert [str(e) for e in plan.errors] == [
        "row 4: 覆盖组织统一社会信用代码: No organisation with the credit code 51330211MJ0000000X."
    ]
    assert plan.counts["new"] == 2

    OrganisationFactory.create_batch(200, township=township)
    with django_assert_max_num_queries(len(few)):
        assert run_import(kind, sheet, dry_run=True).counts == plan.counts
    assert kind.loaded == {first, second, third}


# ---------------------------------------------------------------------------------------------
# Trainings


def training_row(**changes):
    values = {
        "培训名称": "社会组织党组织负责人培训班",
        "培训类型": "党组织负责人培训",
        "层级": "区级",
        "所属镇街": None,
        "举办日期": "2019-05-10",
        "主办单位": "区社会组织综合党委",
        "参训人数": 60,
    }
    values.update(changes)
    return values


def _trainings(rows, **kwargs):
    return run_import(TrainingsKind(), xlsx(rows, TRAINING_HEADERS), **kwargs)


def test_trainings_are_created_and_found_again_by_title_and_date(township):
    rows = [training_row(), training_row(层级="镇街级", 所属镇街=township.code, 培训类型="研修班")]
    rows[1]["培训名称"] = "镇街研修班"
    assert _trainings(rows).counts["new"] == 2
    assert Training.objects.get(title="镇街研修班").township == township
    plan = _trainings([training_row(参训人数=61)])
    assert plan.counts == {"new": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    assert Training.objects.get(title="社会组织党组织负责人培训班").attendees == 61


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"层级": "镇街级"}, "row 2: 所属镇街: A township training needs its township."),
        ({"所属镇街": "招宝山街道"}, "row 2: 所属镇街: A district training belongs to no township."),  # noqa: E501
        ({"举办日期": "2019-13-01"}, "row 2: 举办日期: Not a date: 2019-13-01 "
                                    "(write 2018-03-05, 2018/3/5 or 2018年3月5日)."),
        ({"参训人数": -3}, "row 2: 参训人数: Must be at least 0."),
        ({"培训类型": "联欢"}, "row 2: 培训类型: Unknown value 联欢; use one of: 党组织负责人培训、"
                              "入党积极分子培训、专职工作人员轮训、研修班、其他."),
    ],
)  # fmt: skip
def test_each_training_rule_is_reported_with_its_row(changes, message):
    plan = _trainings([training_row(), training_row(**changes, 培训名称="乙")])
    assert [str(e).replace("row 3", "row 2") for e in plan.errors] == [message]
    assert not Training.objects.exists()


def test_trainings_export_then_import_changes_nothing(township, tmp_path):
    TrainingFactory()
    TrainingFactory(level="township", township=township, kind="study_class")
    path = tmp_path / "trainings.xlsx"
    export_workbook(TrainingsKind(), TrainingsKind().export_queryset(), path)
    assert run_import(TrainingsKind(), path).counts == {
        "new": 0,
        "updated": 0,
        "unchanged": 2,
        "invalid": 0,
    }


def test_a_township_office_imports_only_its_townships_trainings(township, township_user):
    TrainingFactory(title="区级培训", held_on=datetime.date(2019, 5, 10))
    plan = _trainings(
        [
            training_row(培训名称="本镇培训", 层级="镇街级"),
            training_row(培训名称="区级培训"),
        ],
        user=township_user,
    )
    assert [str(e) for e in plan.errors] == [
        "row 3: 层级: Township offices may only import their township's trainings."
    ]
    assert not Training.objects.filter(title="本镇培训").exists()


def test_training_import_audit_entries(staff):
    _trainings([training_row()], user=staff)
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(Training))
    assert (entry.action, entry.actor, entry.changes["title"]) == (
        LogEntry.Action.CREATE,
        staff,
        ["None", "社会组织党组织负责人培训班"],
    )


@pytest.mark.parametrize("kind", ["party", "trainings"])
def test_the_web_import_is_for_staff_only(kind, client_for, staff, leader, township_user):
    url = reverse("imports:start", kwargs={"kind": kind})
    assert client_for(staff).get(url).status_code == 200
    assert client_for(leader).get(url).status_code == 403
    assert client_for(township_user).get(url).status_code == 403
