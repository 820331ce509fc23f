"""Server time and query count of the main pages on the current database.

Run against a database filled by ``generate_bench_data`` (``make bench`` does both):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhenhai_bench SECRET_KEY=x \\
        .venv/bin/python -m tests.bench.bench_pages --runs 15

Server time is the time the Django handler takes for one GET through the whole middleware stack
and template rendering (the test client, no network): median and 95th percentile of ``--runs``
after one warm-up. ``--json`` prints the rows for ``tests.bench.report``, which puts both database
sizes into one table.
"""

import argparse
import contextlib
import json
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from registry.models import Organisation, Township  # noqa: E402
from zhenhai_so.models import User  # noqa: E402
from zhenhai_so.roles import Role  # noqa: E402
from zhenhai_so.services import user_create  # noqa: E402

# Every page under 150 ms server time at 20,000 organisations, 400 ms at 100,000.
GOAL_MS_20K, GOAL_MS_100K = 150, 400
# A page whose warm-up takes longer than SLOW_S is timed SLOW_RUNS times only; a single SQL
# statement longer than STATEMENT_TIMEOUT_S is cancelled and the page reported as failing.
SLOW_S, SLOW_RUNS, STATEMENT_TIMEOUT_S = 2.0, 3, 60


def goal_ms(organisations: int) -> int:
    return GOAL_MS_100K if organisations > 50_000 else GOAL_MS_20K


def percentile(values, share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _user(username, role, township=None):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            username=username,
            role=role,
            township=township,
            password="Bench-Pass-2024",
            must_change_password=False,
        )
    return user


def second_factor(user, session) -> None:
    """Mark a signed-in session as past the second factor (staff and administrators need it,
    ``docs/security.md``), as django_otp's login does, with a confirmed TOTP device of the
    user's."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# The dashboard and the target pages, for any as-of date and township: median under 100 ms at
# 20,000 organisations and under 150 ms at 100,000.
TARGET_GOALS_MS = (100, 150)


def _any_dates() -> list[str]:
    """Query strings of random as-of dates (from the plan's start to today) and townships, the
    district among them, drawn with a fixed seed."""
    import datetime
    import random

    rng = random.Random(20181026)  # noqa: S311  (dates to ask for)
    first, today = datetime.date(2018, 1, 1), datetime.date.today()
    townships = ["", *map(str, Township.objects.values_list("pk", flat=True))]
    out = []
    for _ in range(40):
        day = first + datetime.timedelta(days=rng.randint(0, (today - first).days))
        out.append(f"as_of={day.isoformat()}&township={rng.choice(townships)}")
    return out


def pages():
    """(label, kind, role, url) of each page measured; pages of apps not installed are skipped."""
    organisation = Organisation.objects.legal().order_by("pk")[Organisation.objects.count() // 2]
    township = Township.objects.order_by("order").first()
    result = [
        ("organisation list", "list", "staff", reverse("registry:organisation_list")),
        (
            "organisation list, filtered",
            "list",
            "staff",
            reverse("registry:organisation_list")
            + f"?township={township.pk}&org_type=social_group&o=-registered_on",
        ),
        (
            "organisation list, township user",
            "list",
            "township",
            reverse("registry:organisation_list"),
        ),
        (
            "organisation page",
            "record",
            "staff",
            reverse("registry:organisation_detail", args=[organisation.pk]),
        ),
        (
            "organisation page, reports tab",
            "record",
            "staff",
            reverse("registry:organisation_detail", args=[organisation.pk]) + "?tab=reports",
        ),
        (
            "annual report board",
            "list",
            "staff",
            reverse("registry:annual_report_board") + "?year=2019",
        ),
    ]
    with contextlib.suppress(NoReverseMatch, LookupError):  # the app may not be installed
        result.append(("dashboard", "dashboard", "leader", reverse("targets:dashboard")))
        targets = apps.get_model("targets", "Target").objects.filter(plan__code="zhenhai-2018-2020")
        for code in ("R1", "S2"):
            target = targets.filter(code=code).first()
            if target is not None:
                url = reverse("targets:target_detail", args=[target.pk])
                result.append((f"target page ({code})", "target", "leader", url))
    return result


def measure(runs: int):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    township = Township.objects.order_by("order").first()
    clients = {}
    for role_name, role, scope in (
        ("staff", Role.BUREAU_STAFF, None),
        ("leader", Role.LEADER, None),
        ("township", Role.TOWNSHIP_OFFICE, township),
    ):
        client = Client()
        user = _user(f"bench_{role_name}", role, scope)
        client.force_login(user)
        second_factor(user, client.session)
        clients[role_name] = client
    rows = []
    if connection.vendor == "postgresql":  # a page far off its goal must not hold the run
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_S * 1000}")
    measured = []
    for label, kind, role, url in pages():
        measured.append((label, kind, role, url, False))
        if label.startswith("organisation list"):
            # The register list is cached until the data changes (zhenhai_so.dataversion):
            # time it with the cache emptied before each request too.
            measured.append((f"{label}, cache emptied", kind, role, url, True))
        if kind in ("dashboard", "target"):
            # The targets' figures are stored values: any date and any township is read the
            # same way, the first request after a change included (nothing is cached).
            measured.append((f"{label}, any date and township", kind, role, url, "any"))
    dates = _any_dates()
    for label, kind, role, url, cold in measured:
        client = clients[role]
        row = {"label": label, "kind": kind, "url": url}
        if kind in ("dashboard", "target"):
            row["goals"] = TARGET_GOALS_MS
        rows.append(row)
        started = time.perf_counter()
        if cold is True:
            cache.clear()
        try:
            response = client.get(url)
        except OperationalError as error:  # the statement timeout
            row["status"] = f"no answer within {STATEMENT_TIMEOUT_S} s ({type(error).__name__})"
            continue
        row["status"] = response.status_code
        if response.status_code != 200:
            continue
        warm_up_s = time.perf_counter() - started
        times, counts = [], set()
        for run in range(runs if warm_up_s < SLOW_S else SLOW_RUNS):
            if cold is True:
                cache.clear()
            asked = f"{url}?{dates[run % len(dates)]}" if cold == "any" else url
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(asked)
                times.append((time.perf_counter() - started) * 1000)
            counts.add(len(queries))
        row.update(
            median=statistics.median(times),
            p95=percentile(times, 0.95),
            queries=max(counts),
            runs=len(times),
        )
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    count = Organisation.objects.count()
    rows = measure(args.runs)
    if args.json:
        print(json.dumps({"organisations": count, "runs": args.runs, "pages": rows}))
        return
    goal = goal_ms(count)
    print(f"{count} organisations on {connection.vendor}; median and p95 of {args.runs} runs")
    print(f"{'page':<36} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'goal ms':>8}  result")
    for row in rows:
        if row["status"] != 200:
            print(f"{row['label']:<36} {row['status']}")
            continue
        verdict = "PASS" if row["p95"] < goal else "FAIL"
        print(
            f"{row['label']:<36} {row['median']:>10.1f} {row['p95']:>8.1f} {row['queries']:>8} "
            f"{goal:>8}  {verdict}"
        )


if __name__ == "__main__":
    main()
