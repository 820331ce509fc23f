"""Backup and restore (SECURITY.md item 23): ``scripts/backup.sh`` dumps the PostgreSQL test
database and the media files, ``scripts/restore.sh`` restores them into a fresh database, and
every table has the same rows (count and checksum) there. Also: rotation, a tampered backup and
a non-empty target are refused. PostgreSQL only: skipped without it, failed in CI."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_service
from tests.factories import OrganisationFactory
from tests.tasks.conftest import reference_restored  # noqa: F401  (a fixture: reload after flush)
from zhenhai_so.security.models import EventKind
from zhenhai_so.security.services import record_event, verify_chain

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"

pytestmark = [pytest.mark.slow, pytest.mark.services]


def _url(name: str | None = None) -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return (
        f"postgresql://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
        f"{name or s['NAME']}"
    )


def _run(*args, env=None, check=True):
    result = subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


# A table's row count and the MD5 of its rows in a fixed order (names from pg_tables only).
ROWS_SQL = (
    "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
    'FROM "{table}" t'
)


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the MD5 of its rows in a fixed order."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {table: conn.execute(ROWS_SQL.format(table=table)).fetchone() for table in tables}


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def needs_postgresql():
    """Skip (fail in CI) before any database is set up or flushed."""
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "backups are pg_dump / pg_restore")
    for tool in ("pg_dump", "pg_restore", "psql", "sha256sum", "tar"):
        if shutil.which(tool) is None:
            require_service(tool, "install postgresql-client")


@pytest.fixture
def postgresql(needs_postgresql, reference_restored, transactional_db):  # noqa: F811
    """The committed test database (a backup sees only what is committed; ``reference_restored``
    before ``transactional_db`` so its reload follows the flush); the name of a database to
    restore into, dropped before and after."""
    restored = f"{connection.settings_dict['NAME']}_restored"[:63]
    _drop(restored)
    yield restored
    _drop(restored)


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows(postgresql, tmp_path):
    OrganisationFactory.create_batch(5, name="备份测试协会")
    for i in range(3):
        record_event(None, EventKind.EXPORT, detail=f"backup {i}")
    media = tmp_path / "media"
    (media / "imports").mkdir(parents=True)
    (media / "imports" / "a.xlsx").write_bytes(b"PK\x03\x04 workbook bytes")
    backups = tmp_path / "backups"

    folder = Path(
        _run(BACKUP, backups, env={"DATABASE_URL": _url(), "MEDIA_ROOT": media}).stdout.strip()
    )
    assert sorted(p.name for p in folder.iterdir()) == [
        "MANIFEST",
        "SHA256SUMS",
        "db.dump",
        "media.tar.gz",
    ]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"  # personal data: owner only

    media_back = tmp_path / "media-restored"
    _run(RESTORE, folder, _url(postgresql), media_back)
    before, after = _fingerprint(_url()), _fingerprint(_url(postgresql))
    assert before == after
    assert before["registry_organisation"][0] >= 5 and before["security_securityevent"][0] >= 3
    assert (media_back / "imports" / "a.xlsx").read_bytes() == b"PK\x03\x04 workbook bytes"

    # The restored audit log still verifies, and its append-only trigger came along.
    import psycopg

    with (
        psycopg.connect(_url(postgresql), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute("DELETE FROM security_securityevent")
    assert verify_chain().ok

    # A second restore into the now non-empty database is refused, and leaves it as it was.
    refused = _run(RESTORE, folder, _url(postgresql), tmp_path / "other", check=False)
    assert refused.returncode == 4 and "already holds" in refused.stderr
    assert _fingerprint(_url(postgresql)) == after


def test_a_tampered_backup_is_refused_and_rotation_keeps_the_newest(postgresql, tmp_path):
    backups = tmp_path / "backups"
    env = {"DATABASE_URL": _url(), "MEDIA_ROOT": tmp_path / "no-media", "BACKUP_KEEP": "2"}
    folders = [Path(_run(BACKUP, backups, env=env).stdout.strip()) for _ in range(3)]
    kept = sorted(p.name for p in backups.iterdir())
    assert kept == sorted(f.name for f in folders[1:])  # the oldest went; no partial folders
    newest = folders[-1]
    assert not (newest / "media.tar.gz").exists()  # no media folder: database only

    dump = newest / "db.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    refused = _run(RESTORE, newest, _url(postgresql), check=False)
    assert refused.returncode == 3 and "checksums do not match" in refused.stderr
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        assert not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [postgresql]
        ).fetchone()


def test_the_scripts_refuse_what_is_not_postgresql(tmp_path):
    result = _run(BACKUP, tmp_path, env={"DATABASE_URL": "sqlite:///x.db"}, check=False)
    assert result.returncode == 2 and "PostgreSQL" in result.stderr
    result = _run(RESTORE, tmp_path, "sqlite:///x.db", check=False)
    assert result.returncode == 2
