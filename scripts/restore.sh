#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a new, empty database (and media folder).
#
#   scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE_URL [MEDIA_TARGET]
#
# - The checksums are verified first; a damaged or altered backup is refused.
# - The target database is created when it does not exist; one that already holds tables is
#   refused (restore into a fresh database, check it, then switch the portal's DATABASE_URL).
# - pg_restore runs in one transaction and stops at the first error: all or nothing.
# - MEDIA_TARGET (default: MEDIA_ROOT, else ./media) must be empty or missing.
# Then run `python manage.py migrate` (a no-op for a backup of the same version) and
# `python manage.py verify_audit_chain` against the restored database.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE_URL [MEDIA_TARGET]" >&2
  exit 2
fi
backup="$1"
target="$2"
media_target="${3:-${MEDIA_ROOT:-./media}}"

case "$target" in
  postgres://* | postgresql://*) ;;
  *) echo "restore.sh: the target must be a PostgreSQL URL" >&2; exit 2 ;;
esac
[ -f "$backup/db.dump" ] && [ -f "$backup/SHA256SUMS" ] || {
  echo "restore.sh: $backup is not a backup folder (db.dump and SHA256SUMS expected)" >&2
  exit 2
}

(cd "$backup" && sha256sum --check --quiet --strict SHA256SUMS) || {
  echo "restore.sh: checksums do not match: the backup is damaged or altered; nothing restored" >&2
  exit 3
}

# postgres://user@host:port/name?options → the name, and the same URL on the maintenance db.
without_query="${target%%\?*}"
query="${target#"$without_query"}"
dbname="${without_query##*/}"
if ! [[ "$dbname" =~ ^[A-Za-z0-9_]+$ ]]; then
  echo "restore.sh: the target database name must be letters, digits and underscores" >&2
  exit 2
fi
maintenance="${without_query%/*}/postgres$query"

exists=$(psql "$maintenance" -XAtq -v ON_ERROR_STOP=1 \
  -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'")
if [ -z "$exists" ]; then
  psql "$maintenance" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$dbname\""
else
  tables=$(psql "$target" -XAtq -v ON_ERROR_STOP=1 \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
  if [ "$tables" != "0" ]; then
    echo "restore.sh: database $dbname already holds $tables tables; restore into a new one" >&2
    exit 4
  fi
fi

if [ -f "$backup/media.tar.gz" ] && [ -d "$media_target" ] && [ -n "$(ls -A "$media_target")" ]; then
  echo "restore.sh: $media_target is not empty; give an empty or new media folder" >&2
  exit 4
fi

pg_restore --dbname="$target" --no-owner --no-privileges --exit-on-error --single-transaction \
  "$backup/db.dump"

if [ -f "$backup/media.tar.gz" ]; then
  mkdir -p "$media_target"
  tar -C "$media_target" -xzf "$backup/media.tar.gz" --no-same-owner
fi

echo "restored $backup into $dbname${3:+ and $media_target}"
