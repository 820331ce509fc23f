"""Time to import 5,000 evaluations with 36 scores each through ``import_data`` (issue 4's
closing note). Run: ``make test PYTEST_ARGS="tests/evaluation/test_import_bench.py -s -m slow"``
(with DATABASE_URL for PostgreSQL)."""

import datetime
import io
import time

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from evaluation.models import Evaluation, Score
from evaluation.resources import ITEM_CODES
from registry.models import Organisation, OrgType, RegistrationMode, Sector, Township
from tests.evaluation.conftest import points_for_total
from tests.factories import credit_code_for, indicator_system

N = 5000


@pytest.mark.slow
@pytest.mark.django_db
def test_import_of_5000_evaluations_with_36_scores_each(tmp_path):
    township = Township.objects.first()
    Organisation.objects.bulk_create(
        Organisation(
            name=f"基准组织{n}",
            credit_code=credit_code_for(OrgType.SOCIAL_GROUP, 100000 + n),
            org_type=OrgType.SOCIAL_GROUP,
            registration_mode=RegistrationMode.DIRECT,
            sector=Sector.CHARITY,
            township=township,
            registered_on=datetime.date(2010, 1, 1),
        )
        for n in range(N)
    )
    system = indicator_system()
    codes = list(Organisation.objects.order_by("pk").values_list("credit_code", flat=True))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["统一社会信用代码", "评估日期", "评估机构", *ITEM_CODES, "状态"])
    items = list(system.items.order_by("order"))
    variants = []
    for total in (950, 850, 750, 650, 550, 450):
        by_id = points_for_total(system, total)
        variants.append([float(by_id[i.pk]) for i in items])
    for n, code in enumerate(codes):
        points = variants[n % len(variants)]
        day = datetime.date(2019, 1 + n % 12, 1 + n % 28)
        sheet.append([code, day, "评估中心", *points, "已公告"])
    path = tmp_path / "evaluations.xlsx"
    workbook.save(path)

    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_data", "evaluations", str(path), stdout=out)
    elapsed = time.perf_counter() - started
    print(f"\nimport_data evaluations: {N} rows × 36 scores in {elapsed:.1f} s\n{out.getvalue()}")
    assert Evaluation.objects.count() == N
    assert Score.objects.count() == N * 36
    assert Organisation.objects.exclude(grade="").count() == N - N // 6  # 450 points: no grade
