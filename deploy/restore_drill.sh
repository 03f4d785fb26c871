#!/usr/bin/env bash
# Rehearse a restore without touching the running desk (docs/operations.md "Backup and
# restore"):
#
#   deploy/restore_drill.sh DUMPFILE
#
# restores DUMPFILE with deploy/restore.sh into a scratch database (desk_drill_...),
# runs `manage.py migrate` on it as a real restore would, prints one line per table,
# "TABLE ROWS_IN_THE_APPS_DATABASE ROWS_RESTORED", then drops the scratch database,
# whatever happened. Counts differ only by what was written since the dump.
#
# It connects as the app does (DATABASE_URL, from the environment or the project's .env,
# through deploy/database_env.py with the project's .venv/bin/python; another
# interpreter: PYTHON=...); creating the scratch database needs that user's CREATEDB
# right. Nothing secret is printed or put on a command line.
# Exit status: 0 the dump restored and migrated, 1 it did not, 2 wrong usage or refused.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DUMPFILE" >&2; exit 2; }
dump="$1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
scratch="desk_drill_$(date -u +%Y%m%d%H%M%S)_$$"

connection="$(cd "$root" && "$python" deploy/database_env.py)"
eval "$connection"
live="$PGDATABASE"
trap 'dropdb --if-exists --force --maintenance-db=postgres "$scratch"' EXIT

"$root/deploy/restore.sh" "$dump" "$scratch"

# Every table's rows, one "table count" line each, in table order.
row_counts() {
  psql -X -q -At -F ' ' -d "$1" <<'SQL'
SELECT c.relname,
       (xpath('/row/n/text()',
              query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
                           false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname COLLATE "C";
SQL
}

drill="$(cd "$root" && "$python" deploy/database_env.py --database "$scratch")"
(
  eval "$drill"
  cd "$root" && "$python" manage.py migrate --noinput
)

# Both lists are in byte order (COLLATE "C"), as join reads them with LC_ALL=C.
LC_ALL=C join -a 1 -a 2 -e 0 -o 0,1.2,2.2 <(row_counts "$live") <(row_counts "$scratch")
echo "restore drill: $dump restored into $scratch and migrated; dropping $scratch"
