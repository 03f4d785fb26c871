#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into a NEW database (docs/operations.md
# "Backup and restore"):
#
#   deploy/restore.sh DUMPFILE DATABASE
#
# DATABASE must not exist yet (it is created) or must be empty (created beforehand by a
# database administrator, owned by the app's user): a database holding any table, the
# app's own included, is refused, so a restore never overwrites anything. The restore is
# one transaction: it completes or leaves DATABASE empty. The objects belong
# to the restoring user (--no-owner) and the dump's grants are left out
# (--no-privileges), so a dump restores on a server whose roles differ.
#
# It connects as the app does (DATABASE_URL, from the environment or the project's .env,
# read through deploy/database_env.py with the project's .venv/bin/python; another
# interpreter: PYTHON=...), to the server and as the user DATABASE_URL names; creating a
# database needs that user's CREATEDB right. Then point DATABASE_URL at DATABASE and run
# `manage.py migrate`. Nothing secret is printed or put on a command line.
# Exit status: 0 restored, 1 failed, 2 wrong usage or refused.
set -euo pipefail

usage() {
  echo "usage: $0 DUMPFILE DATABASE" >&2
  exit 2
}
refuse() {
  echo "restore: refused: $1" >&2
  exit 2
}

[ $# -eq 2 ] || usage
dump="$1"
database="$2"
# A plain identifier: never a connection string (`-d` would read "host=..." as one).
[[ "$database" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
  refuse "the database name must be letters, digits and _ (at most 63), starting with a letter"
[ -f "$dump" ] && [ -r "$dump" ] || refuse "$dump is not a readable file"
pg_restore --list "$dump" >/dev/null || refuse "$dump is not a dump made by pg_dump --format=custom"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
connection="$(cd "$root" && "$python" deploy/database_env.py)"
eval "$connection"
unset PGDATABASE

exists="$(psql -X -q -At -d postgres -v database="$database" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'database';
SQL
)"
if [ "$exists" = "1" ]; then
  relations="$(psql -X -q -At -d "$database" <<'SQL'
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f');
SQL
)"
  [ "$relations" = "0" ] ||
    refuse "database $database exists and holds tables; restore into a new one, then switch DATABASE_URL"
else
  createdb "$database"
fi

pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$database" "$dump"
echo "restore: restored $dump into database $database"
echo "restore: next, point DATABASE_URL at $database and run: .venv/bin/python manage.py migrate"
