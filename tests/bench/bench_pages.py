"""Server time and query count of the main pages on the current database.

Run against a database filled by ``generate_bench_data`` (``make bench`` does both):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhenhai_bench SECRET_KEY=x \\
        .venv/bin/python -m tests.bench.bench_pages --runs 15

Server time is the time the Django handler takes for one GET through the whole middleware stack
and template rendering (the test client, no network), median of ``--runs`` after one warm-up.
"""

import argparse
import contextlib
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from registry.models import Organisation, Township  # noqa: E402
from zhenhai_so.models import User  # noqa: E402
from zhenhai_so.roles import Role  # noqa: E402
from zhenhai_so.services import user_create  # noqa: E402

GOALS_MS = {"list": 50, "record": 50, "dashboard": 100, "target": 100}


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
    for label, kind, name, kwargs in (
        ("dashboard", "dashboard", "targets:dashboard", None),
        ("target page (R1)", "target", "targets:target_detail", {"code": "R1"}),
        ("target page (S2)", "target", "targets:target_detail", {"code": "S2"}),
    ):
        with contextlib.suppress(NoReverseMatch):  # the page's app may not be installed
            result.append((label, kind, "leader", reverse(name, kwargs=kwargs)))
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
        client.force_login(_user(f"bench_{role_name}", role, scope))
        clients[role_name] = client
    rows = []
    for label, kind, role, url in pages():
        client = clients[role]
        response = client.get(url)
        if response.status_code != 200:
            rows.append((label, kind, None, None, response.status_code))
            continue
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        rows.append((label, kind, statistics.median(times), len(queries), 200))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    count = Organisation.objects.count()
    print(f"{count} organisations on {connection.vendor}; median of {args.runs} runs")
    print(f"{'page':<36} {'median ms':>10} {'queries':>8} {'goal ms':>8}  ok")
    for label, kind, median, queries, status in measure(args.runs):
        if median is None:
            print(f"{label:<36} HTTP {status}")
            continue
        goal = GOALS_MS[kind] * (3 if count > 50_000 else 1)
        verdict = "yes" if median < goal else "NO"
        print(f"{label:<36} {median:>10.1f} {queries:>8} {goal:>8}  {verdict}")


if __name__ == "__main__":
    main()
