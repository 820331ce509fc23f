"""On PostgreSQL, the purge of security events past their retention as a function owned by the
migrating (owner) role, so the runtime role needs no DELETE on the audit tables
(``manage.py grant_runtime_role``; docs/security.md, finding P5)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION zhenhai_audit_purge(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    removed integer;
BEGIN
    -- clock_timestamp, not now(): the caller's transaction may have begun a while ago; a minute
    -- allows for the application server's clock running ahead of the database's.
    IF cutoff > clock_timestamp() - interval '190 days' + interval '1 minute' THEN
        RAISE EXCEPTION 'audit events are kept at least 190 days'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('zhenhai.audit_purge', '190', true);
    DELETE FROM security_securityevent WHERE created_at < cutoff;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('zhenhai.audit_purge', '', true);
    RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION zhenhai_audit_purge(timestamptz) FROM PUBLIC;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS zhenhai_audit_purge(timestamptz)")


class Migration(migrations.Migration):
    dependencies = [("security", "0003_account_requests")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
