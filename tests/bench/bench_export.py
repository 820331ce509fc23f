"""Export speed and memory: the organisations sheet (``zhenhai_so.importing.export_workbook``,
what the import/export page and the background download write) of the first ``--rows``
organisations, timed, and its peak Python memory (tracemalloc, a separate run) at ``--small``
rows and at ``--rows`` rows: rows are streamed from the database in chunks into openpyxl's
write-only workbook, so the peak should not grow with the rows (issue 9: 20,000 rows under 10 s
in constant memory).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhenhai_bench SECRET_KEY=x \\
        .venv/bin/python -m tests.bench.bench_export --rows 20000 --small 5000
"""

import argparse
import json
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

GOAL_S = 10.0
# "Constant memory": the peak at --rows may exceed the peak at --small by at most this factor.
MEMORY_GROWTH_LIMIT = 1.5


def _export(rows: int, path: Path) -> int:
    from zhenhai_so.importing import export_workbook, get_kind

    kind = get_kind("organisations")
    queryset = kind.export_queryset()[:rows]
    export_workbook(kind, queryset, path)
    return path.stat().st_size


def _peak_mb(rows: int, path: Path) -> float:
    tracemalloc.start()
    try:
        _export(rows, path)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(rows: int, small: int) -> dict:
    from django.db import connection

    from registry.models import Organisation

    available = Organisation.objects.count()
    rows = min(rows, available)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "organisations.xlsx"
        _export(100, path)  # warm-up: imports, the database's first touch
        started = time.perf_counter()
        size = _export(rows, path)
        seconds = time.perf_counter() - started
        peak_small = _peak_mb(small, path)
        peak_large = _peak_mb(rows, path)
    return {
        "database": connection.vendor,
        "organisations": available,
        "rows": rows,
        "seconds": seconds,
        "bytes": size,
        "small": small,
        "peak_small_mb": peak_small,
        "peak_large_mb": peak_large,
        "passed": seconds < GOAL_S and peak_large <= peak_small * MEMORY_GROWTH_LIMIT,
    }


def report(r: dict) -> str:
    return (
        f"export of {r['rows']:,} organisations: {r['seconds']:.1f} s (goal < {GOAL_S:.0f} s), "
        f"{r['bytes'] / 2**20:.1f} MB file; peak Python memory {r['peak_small_mb']:.1f} MB at "
        f"{r['small']:,} rows, {r['peak_large_mb']:.1f} MB at {r['rows']:,} rows "
        f"({'PASS' if r['passed'] else 'FAIL'})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.rows, args.small)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
    import django

    django.setup()
    main()
