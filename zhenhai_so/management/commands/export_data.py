"""``export_data KIND FILE.xlsx [--user NAME]``: the import columns back, typed, in constant
memory (DESIGN.md contract 3: exporting and importing again changes nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhenhai_so.importing import all_kinds, export_workbook, get_kind
from zhenhai_so.models import User


class Command(BaseCommand):
    help = "Export a kind's records as the Excel sheet its import reads."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="one of: " + ", ".join(k.name for k in all_kinds()))
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="export what this user may see (default: everything)")

    def handle(self, *args, kind, file, user, **options):
        export_kind = get_kind(kind)
        if export_kind is None:
            names = ", ".join(k.name for k in all_kinds())
            raise CommandError(f"Unknown kind {kind!r}; known kinds: {names}.")
        actor = None
        if user:
            actor = User.objects.filter(username__iexact=user, is_active=True).first()
            if actor is None or not export_kind.can_export(actor):
                raise CommandError(f"{user} may not export {kind}.")
        export_workbook(export_kind, export_kind.export_queryset(actor), file)
        self.stdout.write(f"{export_kind.name}: written to {file}.")
