from django.core.management.base import BaseCommand, CommandError

from zhenhai_so.security.services import purge_events


class Command(BaseCommand):
    help = "Delete security events older than --days (at least AUDIT_RETENTION_DAYS, 190)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)

    def handle(self, *args, days, **options):
        try:
            deleted = purge_events(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{deleted} security events older than {days} days deleted.")
