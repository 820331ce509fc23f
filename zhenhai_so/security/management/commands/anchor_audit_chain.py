from django.core.management.base import BaseCommand

from zhenhai_so.security.services import anchor_write


class Command(BaseCommand):
    help = (
        "Append the security log's newest hash and row count to AUDIT_ANCHOR_FILE, outside the "
        "database (run daily; verify_audit_chain then notices deleted newest rows)."
    )

    def handle(self, *args, **options):
        anchor = anchor_write()
        self.stdout.write(f"anchored {anchor['count']} events up to {anchor['id']}")
