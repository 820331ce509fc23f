"""Give the role the web and worker processes connect as what it needs, and on the audit tables
only SELECT and INSERT (docs/security.md, finding P5). Run as the owner after every migrate."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

AUDIT_TABLES = ("security_securityevent", "auditlog_logentry")


class Command(BaseCommand):
    help = "Grant the runtime database role its privileges (PostgreSQL; run as the owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role DATABASE_URL of web and worker names")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the role (LOGIN, password from RUNTIME_DB_PASSWORD) when it is missing",
        )

    def handle(self, *args, role, create=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist on PostgreSQL only")
        if create:
            self._create(role)
        tables = connection.introspection.table_names(include_views=False)
        who = sql.Identifier(role)
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(connection.settings_dict["NAME"]), who
            ),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(self._schema()), who),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                sql.Identifier(self._schema()), who
            ),
            sql.SQL("GRANT EXECUTE ON FUNCTION zhenhai_audit_purge(timestamptz) TO {}").format(who),
        ]
        for table in tables:
            name = sql.Identifier(table)
            if table in AUDIT_TABLES:
                statements.append(sql.SQL("REVOKE ALL ON {} FROM {}").format(name, who))
                statements.append(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(name, who))
            else:
                statements.append(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(name, who)
                )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            f"{role}: {len(tables)} tables granted, {', '.join(AUDIT_TABLES)} read and append only"
        )

    @staticmethod
    def _create(role: str) -> None:
        import os

        password = os.environ.get("RUNTIME_DB_PASSWORD", "")
        if not password:
            raise CommandError("set RUNTIME_DB_PASSWORD to create the runtime role")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )

    @staticmethod
    def _schema() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            return cursor.fetchone()[0]
