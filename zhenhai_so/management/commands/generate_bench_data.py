import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

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

    def handle(self, *args, orgs, seed, append, **options):
        from registry.models import Organisation

        if Organisation.objects.exists() and not append:
            self.stderr.write(
                "The database already holds organisations; use --append or a fresh one."
            )
            raise SystemExit(2)
        call_command("load_reference", stdout=self.stdout)
        rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data
        for module in app_modules("bench"):
            started = time.perf_counter()
            for line in module.generate(rng=rng, orgs=orgs):
                self.stdout.write(line)
            self.stdout.write(f"  ({module.__name__}: {time.perf_counter() - started:.1f} s)")
