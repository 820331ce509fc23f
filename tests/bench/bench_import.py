"""Import speed: 10,000 organisation rows (and 5,000 evaluations with their 36 scores), fully
validated and written, against the time openpyxl's read-only mode needs just to read the same
file (DESIGN.md performance goal: ≤ 1.5).

    .venv/bin/python -m tests.bench.bench_import --rows 10000             # SQLite (DEBUG=1)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zh_import SECRET_KEY=x \\
        .venv/bin/python -m tests.bench.bench_import --rows 10000

The script imports into the current database inside a transaction it rolls back, so the
database is left as it was; under pytest (``-m slow``) it runs on the test database.
Each read is followed by an import, ``--runs`` times after a warm-up of each; the ratio is
the median of the pairs' ratios (the times shown are the medians of each side).
"""

import argparse
import datetime
import json
import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest

GOAL = 1.5
SERIAL_BASE = 700000  # credit codes MJ700000… are not used by the demo data


def build_workbook(path: Path, rows: int) -> None:
    """``rows`` valid, new organisation rows over every township and its communities."""
    from openpyxl import Workbook

    from registry.models import Community, Township
    from registry.resources import OrganisationsKind
    from tests.factories import credit_code_for

    townships = list(Township.objects.order_by("order"))
    communities = {}
    for community in Community.objects.order_by("code"):
        communities.setdefault(community.township_id, []).append(community.name)
    types = [("social_group", "社会团体"), ("private_non_enterprise", "民办非企业单位")]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("organisations")
    sheet.append([c.header for c in OrganisationsKind.columns])
    for n in range(rows):
        township = townships[n % len(townships)]
        org_type, label = types[n % 2]
        names = communities.get(township.id) or [None]
        sheet.append([
            credit_code_for(org_type, SERIAL_BASE + n), f"镇海区基准测试组织{n:05d}", label,
            "双重管理" if n % 5 == 0 else "直接登记", "公益慈善类", township.name,
            names[n % len(names)], "区民政局" if n % 5 == 0 else None, "张三",
            datetime.date(2010, 1, 1) + datetime.timedelta(days=n % 3000), None, "正常",
            f"镇海区某路{n}号", "0574-86000000", 3 + n % 50,
        ])  # fmt: skip
    workbook.save(path)


def build_evaluations_workbook(path: Path, rows: int) -> None:
    """``rows`` new published evaluations (dated 2021, after every stored one) of legal
    organisations with valid credit codes, every item scored within its maximum in every
    version of the indicator system."""
    from openpyxl import Workbook

    from evaluation.models import Item
    from evaluation.resources import ITEM_CODES, EvaluationsKind
    from registry.models import Organisation

    maxima = {}
    for code, points in Item.objects.values_list("code", "max_points"):
        maxima[code] = min(points, maxima.get(code, points))
    codes = list(
        Organisation.objects.legal()
        .filter(credit_code_valid=True, dissolved_on__isnull=True)
        .order_by("pk")
        .values_list("credit_code", flat=True)[:rows]
    )
    assert len(codes) == rows, f"only {len(codes)} organisations to evaluate"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("evaluations")
    sheet.append([c.header for c in EvaluationsKind.columns])
    for n, code in enumerate(codes):
        share = 0.6 + (n % 40) / 100
        points = [int(maxima[c] * Decimal(str(share))) for c in ITEM_CODES]
        evaluated_on = datetime.date(2021, 9, 1) + datetime.timedelta(days=n % 60)
        sheet.append([code, evaluated_on, "宁波市社会组织评估中心", *points, "已公告"])
    workbook.save(path)


def read_with_openpyxl(path: Path) -> int:
    """What the goal compares with: openpyxl read-only, every value of every row."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


class _Rollback(Exception):
    pass


def import_and_roll_back(path: Path, kind: str = "organisations") -> dict:
    """The full import (read, validate, match, bulk write, audit entries), then undone."""
    from django.db import transaction

    from zhenhai_so.importing import get_kind, run_import

    try:
        with transaction.atomic():
            plan = run_import(get_kind(kind), path)
            counts = plan.counts
            raise _Rollback
    except _Rollback:
        return counts


def _seconds(function, path) -> float:
    start = time.perf_counter()
    function(path)
    return time.perf_counter() - start


def _paired_times(read, import_, path, runs) -> tuple[float, float, float]:
    """(median read, median import, median of each pair's ratio): after a warm-up of each, the
    read and the import run alternately, so that a shared machine's changing speed (its load,
    its clock) weighs on both sides of a ratio alike instead of on one phase of the run."""
    read(path)  # warm-up: imports, caches, the database's first touch
    import_(path)
    reads, imports = [], []
    for _ in range(runs):
        reads.append(_seconds(read, path))
        imports.append(_seconds(import_, path))
    ratios = [i / r for i, r in zip(imports, reads, strict=True)]
    return statistics.median(reads), statistics.median(imports), statistics.median(ratios)


def measure(rows: int, runs: int, kind: str = "organisations") -> dict:
    from django.db import connection

    build = build_workbook if kind == "organisations" else build_evaluations_workbook
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{kind}.xlsx"
        build(path, rows)
        counts = import_and_roll_back(path, kind)
        assert counts == {"new": rows, "updated": 0, "unchanged": 0, "invalid": 0}, counts
        openpyxl_s, import_s, ratio = _paired_times(
            read_with_openpyxl, lambda p: import_and_roll_back(p, kind), path, runs
        )
    return {
        "database": connection.vendor,
        "kind": kind,
        "rows": rows,
        "openpyxl_read_s": openpyxl_s,
        "import_s": import_s,
        "ratio": ratio,
    }


def report(result: dict) -> str:
    return (
        f"{result['rows']} {result.get('kind', 'organisations')} rows on {result['database']}: "
        f"openpyxl read-only read {result['openpyxl_read_s']:.2f} s, "
        f"full import {result['import_s']:.2f} s, "
        f"ratio {result['ratio']:.2f} (goal ≤ {GOAL})"
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_importing_10000_rows_takes_at_most_1_5_times_an_openpyxl_read():
    result = measure(10_000, runs=3)
    print(report(result))
    assert result["ratio"] <= GOAL, report(result)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--evaluations", type=int, default=0, help="also import this many")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [measure(args.rows, args.runs)]
    if args.evaluations:
        results.append(measure(args.evaluations, args.runs, kind="evaluations"))
    for result in results:
        print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
    import django

    django.setup()
    main()
