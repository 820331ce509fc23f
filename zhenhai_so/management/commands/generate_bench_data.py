import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from zhenhai_so import dataversion
from zhenhai_so.discovery import app_modules


class Command(BaseCommand):
    help = (
        "Build a large district for benchmarks: N organisations with five years of annual "
        "reports, evaluations, projects, party data and quarterly reports (each app's bench.py). "
        "N = 20,000 is a whole city, 100,000 a province. Refuses to run on a database that "
        "already holds organisations unless --append is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--append", action="store_true")
        parser.add_argument(
            "--only",
            default="",
            help="Comma-separated app labels whose bench.py to run on the organisations already "
            "there (e.g. --only evaluation,procurement), without adding organisations.",
        )

    def handle(self, *args, orgs, seed, append, only, **options):
        from registry.models import Organisation

        only = {label.strip() for label in only.split(",") if label.strip()}
        if Organisation.objects.exists() and not append and not only:
            self.stderr.write(
                "The database already holds organisations; use --append or a fresh one."
            )
            raise SystemExit(2)
        call_command("load_reference", stdout=self.stdout)
        rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data
        # The apps' generators commit many times; what listens for committed changes (the
        # targets' refresh) waits for the end, where the targets' generator computes once.
        with dataversion.listeners_paused():
            self.generate(rng, orgs, only)

    def generate(self, rng, orgs, only):
        for module in app_modules("bench"):
            if only and module.__name__.split(".")[0] not in only:
                continue
            started = time.perf_counter()
            for line in module.generate(rng=rng, orgs=orgs):
                self.stdout.write(line)
            self.stdout.write(f"  ({module.__name__}: {time.perf_counter() - started:.1f} s)")
            self.analyze()

    def analyze(self):
        """Bulk-loaded tables have no statistics until autovacuum gets round to them; without
        them the planner guesses a few rows where there are 100,000 and picks nested loops (the
        targets' series, computed from the other apps' data, took minutes per query). So the
        statistics are gathered after each app's data, before the next app reads it. VACUUM
        too: the apps' bulk updates (e.g. every organisation's grade) leave dead rows behind, and
        where autovacuum is off (as on the bench machine) the organisation table stayed at
        122 MB for 20,000 rows, every scan of it reading them all (the dashboard computed afresh
        took 1.3 s instead of 0.35 s)."""
        if connection.vendor != "postgresql":
            return
        started = time.perf_counter()
        # VACUUM cannot run inside a transaction (tests run the command inside one).
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(statement)
        self.stdout.write(f"  ({statement}: {time.perf_counter() - started:.1f} s)")
