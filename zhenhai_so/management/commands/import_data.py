"""``import_data KIND FILE.xlsx [--dry-run] [--skip-invalid] [--user NAME]`` (DESIGN.md
contract 3)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhenhai_so.importing import ImportFailed, all_kinds, get_kind, run_import
from zhenhai_so.models import User
from zhenhai_so.uploads import check_xlsx_upload


class Command(BaseCommand):
    help = (
        "Import an Excel sheet. Prints the counts (new, updated, unchanged, invalid) and one "
        "line per invalid row; writes nothing unless every row is valid or --skip-invalid is "
        "given; exits with status 1 when any row is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="one of: " + ", ".join(k.name for k in all_kinds()))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="write the valid rows, report the rest"
        )
        parser.add_argument(
            "--user",
            help="import as this user: the audit log's actor, and a township office's scope",
        )

    def handle(self, *args, kind, file, dry_run, skip_invalid, user, **options):
        import_kind = get_kind(kind)
        if import_kind is None:
            names = ", ".join(k.name for k in all_kinds())
            raise CommandError(f"Unknown kind {kind!r}; known kinds: {names}.")
        actor = None
        if user:
            actor = User.objects.filter(username__iexact=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {user!r}.")
            if not import_kind.can_import(actor):
                raise CommandError(f"{actor.username} may not import {kind}.")
        try:
            with file.open("rb") as handle:
                check_xlsx_upload(handle)
                plan = run_import(
                    import_kind, handle, user=actor, dry_run=dry_run, skip_invalid=skip_invalid
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except ImportFailed as error:
            raise CommandError(str(error)) from error
        counts = plan.counts
        self.stdout.write(
            "new: {new}, updated: {updated}, unchanged: {unchanged}, invalid: {invalid}".format(
                **counts
            )
        )
        if plan.ignored_columns:
            self.stdout.write("read-only columns ignored: " + ", ".join(plan.ignored_columns))
        for error in plan.errors:
            self.stdout.write(str(error))
        written = not dry_run and (plan.is_valid or skip_invalid)
        if not written:
            self.stdout.write("Nothing was written" + (" (dry run)." if dry_run else "."))
        if plan.errors:
            raise CommandError(f"{counts['invalid']} invalid rows.")
