"""On PostgreSQL the web and worker processes connect as a role that may only SELECT and INSERT
the audit tables: no TRUNCATE, no UPDATE or DELETE, no disabling or dropping the append-only
trigger (docs/security.md, finding P5)."""

import os
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import require_service
from tests.tasks.conftest import reference_restored  # noqa: F401  (a fixture)
from zhenhai_so.security.models import EventKind
from zhenhai_so.security.services import record_event

# --- PostgreSQL: the runtime role ---------------------------------------------------------------


@pytest.fixture
def runtime_connection(reference_restored, transactional_db):  # noqa: F811
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", f"tests run on {connection.vendor}; set DATABASE_URL")

    role = f"zhenhai_rt_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [password])
    call_command("grant_runtime_role", role, stdout=open(os.devnull, "w"))  # noqa: SIM115
    # The grants must be visible to another connection: the test's transaction commits them
    # only at its end, so the tables the role may use are granted in a committed transaction.
    params = connection.get_connection_params()
    conninfo = {
        "host": params.get("host") or "127.0.0.1",
        "port": params.get("port") or 5432,
        "dbname": connection.settings_dict["NAME"],
        "user": role,
        "password": password,
    }
    try:
        yield conninfo
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_the_runtime_role_may_only_read_and_append_the_audit_tables(runtime_connection):
    import psycopg

    record_event(None, EventKind.EXPORT, detail="before")
    refused = [
        "UPDATE security_securityevent SET detail = 'x'",
        "DELETE FROM security_securityevent",
        "TRUNCATE security_securityevent",
        "ALTER TABLE security_securityevent DISABLE TRIGGER USER",
        "DROP TRIGGER IF EXISTS security_securityevent_append_only ON security_securityevent",
        "UPDATE auditlog_logentry SET changes_text = 'x'",
        "DELETE FROM auditlog_logentry",
        "TRUNCATE auditlog_logentry",
        "ALTER TABLE auditlog_logentry DISABLE TRIGGER USER",
    ]
    with psycopg.connect(**runtime_connection, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM security_securityevent").fetchone()[0] >= 1
        for sql in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        # the portal's own writes still work: a session row
        conn.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('k' || md5(random()::text), 'x', now())"
        )
        conn.execute("DELETE FROM django_session WHERE session_data = 'x'")
