"""``python manage.py snapshot_targets [--plan CODE] [--as-of DATE | --quarter-ends]``: store target
snapshots now (what the beat task does), e.g. to fill the trend of a plan's past quarters."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from targets import services
from targets.models import Plan, quarter_end


class Command(BaseCommand):
    help = "Store every target's value as of a date (or at each past quarter end of the plan)."

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="plan code (default: every plan)")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--quarter-ends", action="store_true", help="every quarter end of the plan up to today"
        )
        parser.add_argument("--district-only", action="store_true", help="skip the townships")

    def handle(
        self, *args, plan=None, as_of=None, quarter_ends=False, district_only=False, **options
    ):
        plans = Plan.objects.filter(code=plan) if plan else Plan.objects.all()
        if plan and not plans:
            raise CommandError(f"No plan {plan!r}.")
        today = timezone.localdate()
        for p in plans:
            if quarter_ends:
                days = [quarter_end(y, q) for y in p.years for q in range(1, 5)]
                days = [d for d in days if p.starts_on <= d <= min(today, p.ends_on)]
            else:
                days = [datetime.date.fromisoformat(as_of) if as_of else p.default_as_of(today)]
            for day in days:
                n = services.snapshot_store(plan=p, as_of=day, per_township=not district_only)
                self.stdout.write(f"{p.code} {day}: {n} snapshots")
