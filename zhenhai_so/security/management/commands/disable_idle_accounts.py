from django.conf import settings
from django.core.management.base import BaseCommand

from zhenhai_so.security.services import idle_accounts_disable


class Command(BaseCommand):
    help = "Deactivate accounts without a login for more than --days days (default 90)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.ACCOUNT_IDLE_DAYS)

    def handle(self, *args, days, **options):
        names = idle_accounts_disable(days=days)
        self.stdout.write(f"{len(names)} idle accounts disabled: {', '.join(names) or '-'}")
