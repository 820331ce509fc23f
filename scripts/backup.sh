#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database (pg_dump, custom format) and the media files
# (uploads, generated downloads), with a checksum file, into one folder per run; keep the newest
# BACKUP_KEEP folders and delete older ones (SECURITY.md item 23; 等保 2.0 8.1.4.11 数据备份恢复).
#
#   DATABASE_URL=postgres://user@host:5432/zhenhai scripts/backup.sh [BACKUP_DIR]
#
# Settings (environment):
#   DATABASE_URL  the database to dump (required; the portal's own setting)
#   MEDIA_ROOT    the media folder to archive (default: ./media; skipped when it does not exist)
#   BACKUP_DIR    where backups go (default: ./backups; the first argument wins)
#   BACKUP_KEEP   how many backups to keep (default: 14)
#
# A backup is written to a hidden folder and renamed when complete, so a run that fails leaves
# no half backup behind and rotation never counts one. Prints the backup's folder on success.
# Restore with scripts/restore.sh. Schedule it daily, e.g. from cron:
#   30 1 * * *  cd /srv/zhenhai && DATABASE_URL=... scripts/backup.sh /var/backups/zhenhai
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is required (postgres://user@host:port/name)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac
MEDIA_ROOT="${MEDIA_ROOT:-./media}"
BACKUP_DIR="${1:-${BACKUP_DIR:-./backups}}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"
if ! [[ "$BACKUP_KEEP" =~ ^[1-9][0-9]*$ ]]; then
  echo "backup.sh: BACKUP_KEEP must be a positive whole number" >&2
  exit 2
fi

umask 077  # a backup holds personal data: readable by its owner only
mkdir -p "$BACKUP_DIR"
base="zhenhai-$(date -u +%Y%m%dT%H%M%SZ)"
name="$base"
n=1
while [ -e "$BACKUP_DIR/$name" ]; do  # two runs in one second
  name="$base-$n"
  n=$((n + 1))
done
work="$BACKUP_DIR/.$name.partial"
trap 'rm -rf "$work"' EXIT
mkdir "$work"

# The database: custom format (compressed, restorable table by table), without owners and grants
# so it restores into a database of another owner.
pg_dump --dbname="$DATABASE_URL" --format=custom --no-owner --no-privileges --file="$work/db.dump"

# The media files, when there are any.
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$work/media.tar.gz" .
fi

{
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "database: $(pg_restore --list "$work/db.dump" | grep -c ' TABLE DATA ') tables"
  echo "pg_dump: $(pg_dump --version)"
  echo "media: $([ -f "$work/media.tar.gz" ] && echo yes || echo none)"
} >"$work/MANIFEST"
(cd "$work" && sha256sum -- * >SHA256SUMS)

mv "$work" "$BACKUP_DIR/$name"
trap - EXIT

# Rotation: keep the newest BACKUP_KEEP complete backups (names sort by time).
mapfile -t backups < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'zhenhai-*' | sort)
excess=$((${#backups[@]} - BACKUP_KEEP))
for ((i = 0; i < excess; i++)); do
  rm -rf -- "${backups[$i]}"
done

echo "$BACKUP_DIR/$name"
