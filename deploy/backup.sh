#!/usr/bin/env bash
# Dump the app's PostgreSQL database into DIRECTORY (docs/operations.md "Backup and
# restore"):
#
#   deploy/backup.sh [--keep-days N] DIRECTORY
#
# writes DIRECTORY/desk-YYYYMMDDTHHMMSSZ.dump (pg_dump's custom format, for pg_restore),
# readable by its owner only (0600), then removes the desk-*.dump files in DIRECTORY
# older than N days (default 14; 0 keeps every dump). The dump appears under its name
# only once complete: a failed run leaves nothing behind, and removes nothing.
#
# The connection is the app's own (DATABASE_URL, from the environment or the project's
# .env), read through deploy/database_env.py with the project's .venv/bin/python
# (another interpreter: PYTHON=...). Nothing secret is printed or put on a command line.
# Exit status: 0 done, 1 failed, 2 wrong usage.
set -euo pipefail
umask 077

usage() {
  echo "usage: $0 [--keep-days N] DIRECTORY" >&2
  exit 2
}

keep_days=14
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-days)
      [ $# -ge 2 ] || usage
      keep_days="$2"
      shift 2
      ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
[[ "$keep_days" =~ ^[0-9]+$ ]] || usage
directory="$1"

if [ ! -d "$directory" ] || [ ! -w "$directory" ]; then
  echo "backup: $directory is not a writable directory" >&2
  exit 1
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
connection="$(cd "$root" && "$python" deploy/database_env.py)"
eval "$connection"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$directory/desk-$stamp.dump"
partial="$(mktemp "$directory/.desk-$stamp.XXXXXX.partial")"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --file="$partial"
mv "$partial" "$target"
trap - EXIT
echo "backup: wrote $target ($(stat -c %s "$target") bytes)"

if [ "$keep_days" -gt 0 ]; then
  removed=0
  while IFS= read -r -d '' old; do
    rm -f -- "$old"
    removed=$((removed + 1))
  done < <(find "$directory" -maxdepth 1 -type f -name 'desk-*.dump' \
             ! -path "$target" -mmin +$((keep_days * 1440)) -print0)
  echo "backup: removed $removed dump(s) older than $keep_days days"
fi
