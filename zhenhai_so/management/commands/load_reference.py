from django.core.management.base import BaseCommand
from django.db import transaction

from zhenhai_so.discovery import app_modules


class Command(BaseCommand):
    help = (
        "Load the reference data from fixtures/ (townships, communities, indicator systems, "
        "plans and targets). Idempotent: running it again changes nothing."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for module in app_modules("reference"):
            for line in module.load():
                self.stdout.write(line)
