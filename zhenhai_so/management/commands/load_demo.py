import random
from dataclasses import dataclass, field

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation

from zhenhai_so import demo
from zhenhai_so.discovery import app_modules
from zhenhai_so.models import User


@dataclass
class DemoContext:
    """What every app's ``demo.load`` receives: one seeded random generator shared in order,
    so the whole district is reproducible."""

    rng: random.Random
    scale: int = 1
    notes: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Load the reference data, then a reproducible demo district (fixed seed) whose mid-2018 "
        "figures match the plan's section 一, continuing through 2020."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20181026)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when demo accounts already exist."
        )

    def handle(self, *args, seed, if_empty, **options):
        translation.activate("zh-hans")
        if if_empty and User.objects.filter(username="staff").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            call_command("load_reference", stdout=self.stdout)
            ctx = DemoContext(rng=random.Random(seed))  # noqa: S311 - reproducible demo data
            with transaction.atomic():
                for module in app_modules("demo"):
                    for line in module.load(ctx):
                        self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        )
        for line in demo.login_lines():
            self.stdout.write(line)
