"""The restore drill (docs/operations.md "Backup and restore"), run in CI on PostgreSQL:
rows committed to the test database are dumped with deploy/backup.sh, restored with
deploy/restore.sh into a database of their own, migrated (nothing to apply), and every
table and sequence must hold what the original holds. deploy/restore.sh refuses to
overwrite a database, the operators' deploy/restore_drill.sh reports the same counts and
leaves no database behind, and no script prints a secret.

The scripts run as the timers run them: subprocesses reading DATABASE_URL, with pg_dump
and pg_restore from PATH (their major version must be the server's).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from consultations.models import (
    Consultation,
    ConsultationEvent,
    Delivery,
    JoinLink,
    Patient,
    Provider,
    WebhookDelivery,
)
from tests.factories import (
    ConsultationFactory,
    DeliveryFactory,
    SpecialistFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
DRILL = ROOT / "deploy" / "restore_drill.sh"
# A script's exit status when it refuses (deploy/restore.sh's header).
REFUSED = 2
# Written into DATABASE_URL and the environment, and looked for in what the scripts
# print. The test servers trust loopback connections and take any password, so a marker
# stands in for it; a password the test database really has is used instead, and is
# not looked for (a short one could appear in any output).
SECRET_KEY = "drill-secret-key-" + uuid.uuid4().hex
PASSWORD = connection.settings_dict["PASSWORD"] or "drill-password-" + uuid.uuid4().hex
SECRETS = [SECRET_KEY] + ([] if connection.settings_dict["PASSWORD"] else [PASSWORD])


def _connection_parameters(name: str) -> dict[str, str]:
    database = connection.settings_dict
    return {
        "host": database["HOST"] or "",
        "port": str(database["PORT"] or ""),
        "user": database["USER"] or "",
        "password": PASSWORD,
        "dbname": name,
    }


def _database_url(name: str) -> str:
    p = _connection_parameters(name)
    port = f":{p['port']}" if p["port"] else ""
    credentials = f"{quote(p['user'], safe='')}:{quote(p['password'], safe='')}@"
    return f"postgres://{credentials}{p['host']}{port}/{name}"


def _run(arguments: list[str], *, database: str) -> subprocess.CompletedProcess[str]:
    """Run a script or manage.py as the server runs it: debug on only so that the
    production guardrails leave the test's placeholder configuration alone."""
    environment = os.environ | {
        "DATABASE_URL": _database_url(database),
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "PYTHON": sys.executable,
    }
    result = subprocess.run(
        arguments, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    printed = result.stdout + result.stderr
    assert [secret for secret in SECRETS if secret in printed] == []
    return result


def _query(name: str, sql: str, parameters: tuple = ()) -> list[tuple]:
    with psycopg.connect(**_connection_parameters(name), autocommit=True) as db:
        return db.execute(sql, parameters).fetchall()


def _row_counts(name: str) -> dict[str, int]:
    tables = [
        table
        for (table,) in _query(name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    with psycopg.connect(**_connection_parameters(name)) as db:
        return {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }


def _sequences(name: str) -> dict[str, int | None]:
    rows = _query(
        name, "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
    )
    return dict(rows)


@pytest.fixture
def scratch_database():
    """A name for a database the test creates; dropped afterwards, whatever happened."""
    name = f"restore_drill_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(**_connection_parameters("postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clinic_rows(transactional_db):
    """Committed rows in every kind of table the desk fills."""
    staff = UserFactory()
    for _ in range(3):
        consultation = ConsultationFactory(provider=SpecialistFactory())
        ConsultationEvent.objects.create(
            consultation=consultation, kind=ConsultationEvent.Kind.BOOKED, actor=staff
        )
        DeliveryFactory(consultation=consultation)
        JoinLink.objects.create(consultation=consultation, recipient=Delivery.Recipient.PATIENT)
    WebhookDeliveryFactory()


def _dumps(directory: Path) -> list[Path]:
    return sorted(directory.glob("desk-*.dump"))


def test_a_dump_restores_into_a_new_database_with_every_row(
    clinic_rows, scratch_database, tmp_path
):
    source = connection.settings_dict["NAME"]
    backup = _run([str(BACKUP), str(tmp_path)], database=source)
    assert backup.returncode == 0, backup.stderr
    (dump,) = _dumps(tmp_path)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    restore = _run([str(RESTORE), str(dump), scratch_database], database=source)
    assert restore.returncode == 0, restore.stderr
    migrate = _run([sys.executable, "manage.py", "migrate", "--noinput"], database=scratch_database)
    assert migrate.returncode == 0, migrate.stderr
    assert "No migrations to apply." in migrate.stdout

    original = _row_counts(source)
    restored = _row_counts(scratch_database)
    assert restored == original
    for model, rows in (
        (Patient, 3),
        (Provider, 3),
        (Consultation, 3),
        (ConsultationEvent, 3),
        (Delivery, 3),
        (JoinLink, 3),
        (WebhookDelivery, 1),
    ):
        assert restored[model._meta.db_table] == rows, model.__name__
    assert restored["django_migrations"] > 0
    # New rows in the restored database take ids after the restored ones.
    assert _sequences(scratch_database) == _sequences(source)


def test_the_operators_drill_reports_every_table_and_drops_its_database(clinic_rows, tmp_path):
    source = connection.settings_dict["NAME"]
    drills = "SELECT datname FROM pg_database WHERE datname LIKE 'desk_drill_%%'"
    before = _query("postgres", drills)
    assert _run([str(BACKUP), str(tmp_path)], database=source).returncode == 0
    (dump,) = _dumps(tmp_path)

    drill = _run([str(DRILL), str(dump)], database=source)
    assert drill.returncode == 0, drill.stderr
    reported = {
        table: (int(live), int(restored))
        for table, live, restored in (
            line.split() for line in drill.stdout.splitlines() if re.fullmatch(r"\w+ \d+ \d+", line)
        )
    }
    assert set(reported) == set(_row_counts(source))
    assert all(live == restored for live, restored in reported.values()), reported
    assert reported[Patient._meta.db_table] == (3, 3)
    assert _query("postgres", drills) == before


def test_restore_refuses_a_database_that_holds_tables(clinic_rows, scratch_database, tmp_path):
    source = connection.settings_dict["NAME"]
    assert _run([str(BACKUP), str(tmp_path)], database=source).returncode == 0
    (dump,) = _dumps(tmp_path)
    assert _run([str(RESTORE), str(dump), scratch_database], database=source).returncode == 0
    before = _row_counts(scratch_database)

    again = _run([str(RESTORE), str(dump), scratch_database], database=source)
    the_apps_own = _run([str(RESTORE), str(dump), source], database=source)
    assert again.returncode == REFUSED
    assert the_apps_own.returncode == REFUSED
    assert _row_counts(scratch_database) == before
    assert _row_counts(source) == before


def test_restore_fills_an_empty_database_made_beforehand(clinic_rows, scratch_database, tmp_path):
    source = connection.settings_dict["NAME"]
    assert _run([str(BACKUP), str(tmp_path)], database=source).returncode == 0
    (dump,) = _dumps(tmp_path)
    with psycopg.connect(**_connection_parameters("postgres"), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{scratch_database}"')

    restore = _run([str(RESTORE), str(dump), scratch_database], database=source)
    assert restore.returncode == 0, restore.stderr
    assert _row_counts(scratch_database) == _row_counts(source)


@pytest.mark.parametrize(
    "name", ["host=elsewhere", "1starts_with_a_digit", "has-dash", "x" * 64, ""]
)
def test_restore_refuses_a_name_that_is_not_a_plain_identifier(db, tmp_path, name):
    dump = tmp_path / "desk-any.dump"
    dump.write_bytes(b"")
    result = _run([str(RESTORE), str(dump), name], database=connection.settings_dict["NAME"])
    assert result.returncode == REFUSED


def test_restore_refuses_a_file_that_is_not_a_dump(db, tmp_path, scratch_database):
    not_a_dump = tmp_path / "desk-notes.dump"
    not_a_dump.write_text("not a dump\n")
    result = _run(
        [str(RESTORE), str(not_a_dump), scratch_database], database=connection.settings_dict["NAME"]
    )
    assert result.returncode == REFUSED
    exists = "SELECT 1 FROM pg_database WHERE datname = %s"
    assert _query("postgres", exists, (scratch_database,)) == []


def test_backup_keeps_recent_dumps_and_removes_old_ones(db, tmp_path):
    day = 24 * 3600
    old = tmp_path / "desk-20200101T000000Z.dump"
    recent = tmp_path / "desk-20200110T000000Z.dump"
    other = tmp_path / "notes.txt"
    for path, age_days in ((old, 15), (recent, 13), (other, 30)):
        path.write_text("x")
        then = path.stat().st_mtime - age_days * day
        os.utime(path, (then, then))

    result = _run(
        [str(BACKUP), "--keep-days", "14", str(tmp_path)], database=connection.settings_dict["NAME"]
    )
    assert result.returncode == 0, result.stderr
    assert not old.exists()
    assert recent.exists()
    assert other.exists()
    assert len(_dumps(tmp_path)) == 2  # the recent one and the new one


def test_a_failed_backup_leaves_no_dump_and_removes_nothing(db, tmp_path, scratch_database):
    """A database that does not exist: pg_dump fails, and the old dumps stay."""
    old = tmp_path / "desk-20200101T000000Z.dump"
    old.write_text("x")
    then = old.stat().st_mtime - 30 * 24 * 3600
    os.utime(old, (then, then))

    result = _run([str(BACKUP), str(tmp_path)], database=scratch_database)
    assert result.returncode != 0
    assert sorted(tmp_path.iterdir()) == [old]
