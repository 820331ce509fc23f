"""``python manage.py target_progress [--plan CODE] [--as-of YYYY-MM-DD] [--township CODE] --json``:
every target's value and status, read from the stored values as the dashboard shows them."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry.models import Township
from targets.models import Plan
from targets.progress import evaluate_plan


class Command(BaseCommand):
    help = "Print each target's value, numerator, denominator and status as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="plan code (default: the newest plan)")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="YYYY-MM-DD (default: today, or the plan's last day once it has ended)",
        )
        parser.add_argument("--township", help="township division code or name")
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args, plan=None, as_of=None, township=None, **options):
        plans = Plan.objects.all()
        chosen = plans.filter(code=plan).first() if plan else plans.first()
        if chosen is None:
            raise CommandError(f"No plan {plan!r}." if plan else "No plan loaded.")
        if as_of:
            try:
                day = datetime.date.fromisoformat(as_of)
            except ValueError as error:
                raise CommandError(f"--as-of: {error}") from error
        else:
            day = chosen.default_as_of(timezone.localdate())
        township_id = None
        if township:
            found = (
                Township.objects.filter(code=township).first()
                or Township.objects.filter(name=township).first()
            )
            if found is None:
                raise CommandError(f"No township {township!r}.")
            township_id = found.pk
        rows = [p.as_dict() for p in evaluate_plan(chosen, as_of=day, township_id=township_id)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['code']:<4} {row['status']:<15} {row['value']!s:>12}  {row['title']}"
            )
