"""``python manage.py refresh_targets [--plan CODE] [--from YYYY-MM-DD] [--verify]``: compute the
stored series of every target now (what the background task does after a change), or compare
them with a direct computation on random dates and townships."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from targets import services
from targets.models import Plan


class Command(BaseCommand):
    help = "Recompute the targets' stored values, or verify them against a direct computation."

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="plan code (default: every plan)")
        parser.add_argument(
            "--from", dest="since", help="YYYY-MM-DD: keep the stored values before this date"
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="compare the stored values with a direct computation; exit 1 on a difference",
        )
        parser.add_argument("--dates", type=int, default=12, help="random dates to verify")
        parser.add_argument("--seed", type=int, help="random seed of --verify")

    def handle(self, *args, plan=None, since=None, verify=False, **options):
        targets = None
        if plan:
            found = Plan.objects.filter(code=plan).first()
            if found is None:
                raise CommandError(f"No plan {plan!r}.")
            targets = found.targets.select_related("plan")
        if verify:
            differences = services.series_verify(
                targets=targets, days=options["dates"], seed=options["seed"]
            )
            for d in differences:
                self.stdout.write(
                    f"{d.target} township={d.township_id or '-'} {d.day}: stored {d.stored} "
                    f"!= direct {d.direct}"
                )
            if differences:
                raise CommandError(f"{len(differences)} stored values differ.", returncode=1)
            self.stdout.write("The stored values agree with the direct computation.")
            return
        day = None
        if since:
            try:
                day = datetime.date.fromisoformat(since)
            except ValueError as error:
                raise CommandError(f"--from: {error}") from error
        started = time.perf_counter()
        written = services.series_refresh(targets=targets, since=day)
        self.stdout.write(f"{written} values stored in {time.perf_counter() - started:.1f} s.")
