"""Print the app's PostgreSQL connection as libpq environment variables, as shell
`export` lines for the scripts of deploy/ to evaluate. With `--database NAME`: the same
connection to database NAME instead, and a `DATABASE_URL` for it, so that
deploy/restore_drill.sh can run `manage.py` on a restored database.

The settings are read as the app reads them (`DATABASE_URL` from the environment or
from the project's `.env`), so a backup dumps the database the app uses. The password
travels in PGPASSWORD, in the environment of pg_dump and pg_restore only: never on a
command line, where `ps` shows it to every user, and never on the terminal.

Exit status 2, with a message on standard error, when the database is not PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

from django.conf import settings  # noqa: E402

# Django's connection settings and the libpq variable each becomes.
SETTINGS_VARIABLES = {
    "NAME": "PGDATABASE",
    "USER": "PGUSER",
    "PASSWORD": "PGPASSWORD",
    "HOST": "PGHOST",
    "PORT": "PGPORT",
}
# The connection options (`?sslmode=require` in DATABASE_URL) libpq also reads from the
# environment; any other option is the driver's own and means nothing to pg_dump.
OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "options": "PGOPTIONS",
}


def libpq_environment(database: dict) -> dict[str, str]:
    """The libpq variables for Django's `database` settings, empty values left out."""
    variables = {
        variable: str(database.get(key) or "") for key, variable in SETTINGS_VARIABLES.items()
    }
    options = database.get("OPTIONS") or {}
    variables |= {
        variable: str(options[key]) for key, variable in OPTION_VARIABLES.items() if key in options
    }
    return {name: value for name, value in variables.items() if value}


def database_url(database: dict, name: str) -> str:
    """`DATABASE_URL` for database `name` on the server and as the user of `database`."""
    user = quote(str(database.get("USER") or ""), safe="")
    password = quote(str(database.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = str(database.get("HOST") or "")
    if host.startswith("/"):  # a Unix socket's folder
        host = quote(host, safe="")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    options = {k: v for k, v in (database.get("OPTIONS") or {}).items() if k in OPTION_VARIABLES}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}{query}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="another database on the same server")
    arguments = parser.parse_args()
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        print(
            "The app's database is not PostgreSQL (set DATABASE_URL=postgres://...): "
            "pg_dump and pg_restore work on PostgreSQL only.",
            file=sys.stderr,
        )
        return 2
    variables = libpq_environment(database)
    if arguments.database:
        variables["PGDATABASE"] = arguments.database
        variables["DATABASE_URL"] = database_url(database, arguments.database)
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
