"""How long the targets' stored series take to compute on the current database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhenhai_bench SECRET_KEY=x \\
        .venv/bin/python -m tests.bench.bench_refresh --json

Two measures, each inside a transaction that is rolled back, so the database is left as it was:
every series of the plan computed and stored from nothing (``refresh_targets`` on a new
database), and the refresh after one edit (an organisation dissolved on another date), as the
task runs it after the commit: the targets reading the organisations, recomputed, and only the
changed steps written. The goal of both is under 60 s.
"""

import argparse
import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
django.setup()

from django.db import transaction  # noqa: E402

from registry.models import Organisation  # noqa: E402
from targets import services  # noqa: E402
from targets.models import TargetValue  # noqa: E402

GOAL_S = 60.0


def _rolled_back(work):
    with transaction.atomic():
        started = time.perf_counter()
        written = work()
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, written


def measure() -> list[dict]:
    def full():
        TargetValue.objects.all().delete()
        return services.series_refresh()

    def one_edit():
        organisation = Organisation.objects.legal().filter(dissolved_on__isnull=True).order_by("pk")
        organisation = organisation[organisation.count() // 2]
        Organisation.objects.filter(pk=organisation.pk).update(
            dissolved_on=organisation.registered_on.replace(
                year=max(organisation.registered_on.year, 2019) + 1
            ),
            status="deregistered",
        )
        return services.series_refresh(targets=services.targets_reading({"registry_organisation"}))

    rows = []
    for label, work in (
        ("every series of the plan, from nothing", full),
        ("after one edit (an organisation's dissolution date)", one_edit),
    ):
        seconds, written = _rolled_back(work)
        rows.append({"label": label, "seconds": seconds, "written": written})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    count = Organisation.objects.count()
    rows = measure()
    if args.json:
        print(json.dumps({"organisations": count, "refresh": rows}))
        return
    for row in rows:
        verdict = "PASS" if row["seconds"] < GOAL_S else "FAIL"
        print(f"{row['label']:<55} {row['seconds']:>7.1f} s {row['written']:>8} steps  {verdict}")


if __name__ == "__main__":
    main()
