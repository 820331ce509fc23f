"""On PostgreSQL, refuse UPDATE and DELETE on the audit tables (SECURITY.md item 12).

A DELETE passes only inside a transaction that set ``zhenhai.audit_purge`` (``purge_audit`` does,
with SET LOCAL) and only for rows older than 190 days. TRUNCATE (test database flushes) is not a
row operation and is not affected. Other databases (SQLite in development) get no trigger.
"""

from django.db import migrations

TABLES = (("security_securityevent", "created_at"), ("auditlog_logentry", "timestamp"))

FUNCTION = """
CREATE OR REPLACE FUNCTION zhenhai_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('zhenhai.audit_purge', true), '') <> ''
       AND (to_jsonb(OLD) ->> TG_ARGV[0])::timestamptz < now() - interval '190 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table, column in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION zhenhai_audit_append_only('{column}')"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _column in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS zhenhai_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_security_events"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
