"""Workbooks made in the test, with known contents."""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from registry.resources import AnnualReportsKind, OrganisationsKind

ORG_HEADERS = [c.header for c in OrganisationsKind.columns]
REPORT_HEADERS = [c.header for c in AnnualReportsKind.columns]


def watching(kind_class):
    """``kind_class`` recording, as ``loaded``, the credit codes of the organisations its
    validation had loaded (``ctx["organisations"]``) by the time records are matched: a test
    that an import looks up only the organisations its file names."""

    class Watched(kind_class):
        loaded: set[str] = frozenset()

        def load_existing(self, keys, ctx):
            self.loaded = set(ctx["organisations"])
            return super().load_existing(keys, ctx)

    return Watched


def xlsx(rows, headers=ORG_HEADERS) -> io.BytesIO:
    """An in-memory .xlsx: the header row, then ``rows`` (lists, or dicts by header)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h) for h in headers] if isinstance(row, dict) else list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "import.xlsx"
    return buffer


@pytest.fixture
def org_row(township):
    """A valid social-group row; ``org_row(**changes)`` by header."""
    from tests.factories import credit_code_for

    def make(serial=1, **changes):
        row = {
            "统一社会信用代码": credit_code_for("social_group", 900000 + serial),
            "名称": f"镇海区导入测试协会{serial}",
            "类型": "社会团体",
            "登记方式": "直接登记",
            "业务领域": "公益慈善类",
            "所属镇街": township.name,
            "所属村社": None,
            "业务主管单位": None,
            "法定代表人": "李四",
            "成立日期": "2018-03-05",
            "注销日期": None,
            "状态": "正常",
            "住所": "镇海区某路1号",
            "联系电话": "0574-86000000",
            "开办资金(万元)": 3,
        }
        row.update(changes)
        return row

    return make


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Uploaded workbooks go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def report_row():
    """A valid annual-report row for ``organisation``; ``report_row(org, **changes)``."""

    def make(organisation, year=2019, **changes):
        row = {
            "统一社会信用代码": organisation.credit_code,
            "年度": year,
            "报送日期": f"{year + 1}-04-20",
            "年检结论": "合格",
            "专职工作人员数": 3,
            "办公面积(平方米)": 80.5,
            "独立办公场所": "是",
            "财务管理制度": "是",
            "会员(代表)大会": "是",
            "理事会": "是",
            "监事(会)": "否",
            "正式党员数": 2,
            "章程含党建内容": "是",
            "年度收入(万元)": 12.3,
            "年度支出(万元)": 10,
        }
        row.update(changes)
        return row

    return make


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages in English, in code and in pages, so that assertions read as the source strings
    (``test_messages_are_in_chinese_by_default`` checks the default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
