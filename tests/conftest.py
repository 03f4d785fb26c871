"""Shared fixtures and the suite's guard rails.

- Network access outside loopback is refused in tests (a test that tries fails loudly):
  pytest-socket, configured in pyproject.toml (`--allow-hosts`: 127.0.0.0/8, ::1 and
  localhost; Unix sockets allowed). It guards `socket.connect`, which requests/urllib3,
  smtplib and asyncio use; `connect_ex` is not guarded and nothing here calls it.
  tests/test_network_guard.py holds the guard to that policy.
- Tests marked `postgres` are skipped on another database, and with
  REQUIRE_POSTGRES_TESTS=1 (CI) a skipped one fails the run; likewise `browser` tests
  with REQUIRE_BROWSER_TESTS=1.
- The audit trail's table refuses TRUNCATE on PostgreSQL (consultations/models/audit.py),
  and the database flush that ends each transactional test is a TRUNCATE: the suite's
  flush (only it) passes that one trigger, as django-pgtrigger's `ignore` would.
"""

from __future__ import annotations

import os

import pytest

from tests.factories import UserFactory

# --- Required markers ----------------------------------------------------------------------

_REQUIRED = {
    "postgres": "REQUIRE_POSTGRES_TESTS",
    "browser": "REQUIRE_BROWSER_TESTS",
}
_skipped_required: list[str] = []


def _database_vendor() -> str:
    from django.conf import settings

    return "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "other"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    on_postgres = _database_vendor() == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        for marker, variable in _REQUIRED.items():
            if marker in item.keywords and os.environ.get(variable) == "1":
                _skipped_required.append(f"{item.nodeid} ({marker})")


def pytest_sessionfinish(session, exitstatus):
    if _skipped_required:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _skipped_required:
        terminalreporter.write_line(
            f"FAILED: {len(_skipped_required)} required test(s) were skipped:", red=True
        )
        for nodeid in _skipped_required:
            terminalreporter.write_line(f"  {nodeid}", red=True)


# --- Fixtures -----------------------------------------------------------------------------

AUDIT_NO_TRUNCATE = "consultations.AuditEntry:audit_no_truncate"


@pytest.fixture(autouse=True, scope="session")
def _test_flush_passes_the_audit_truncate_guard():
    import pgtrigger
    from django.db.backends.base.operations import BaseDatabaseOperations

    flush = BaseDatabaseOperations.execute_sql_flush
    ((model, trigger),) = pgtrigger.registered(AUDIT_NO_TRUNCATE)

    def execute_sql_flush(self, sql_list):
        if self.connection.vendor != "postgresql":
            return flush(self, sql_list)
        # What `pgtrigger.ignore` sets, set once for the session around the flush: its
        # own way prefixes each statement with a parameterized `set_config`, which
        # server-side binding cannot send as one statement.
        pgid = trigger.get_pgid(model)
        ignored = f"{{{model._meta.db_table}:{pgid},{pgid}}}"
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [ignored])
        try:
            return flush(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pgtrigger.ignore', NULL, false)")

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = flush


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not under test; a cheap hasher keeps user fixtures fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _booking_answer_spool(settings, tmp_path):
    """Each test keeps unrecorded booking answers in its own directory, never the
    project's var/."""
    settings.BOOKING_ANSWER_SPOOL_DIR = tmp_path / "booking-answers"
    return settings.BOOKING_ANSWER_SPOOL_DIR


@pytest.fixture
def seeded_catalogs(transactional_db):
    """The catalogs the data migration seeds: a transactional test that runs after
    another has flushed the database finds them gone."""
    from consultations.catalogs import catalogs_seed

    catalogs_seed()


@pytest.fixture
def staff_groups(db):
    """The two staff groups with their permissions (rebuilt: a flush may have removed them)."""
    from consultations.access import staff_groups_ensure

    staff_groups_ensure()


@pytest.fixture
def receptionist(staff_groups):
    return UserFactory(username="recepcion", groups=["Recepción"])


@pytest.fixture
def clinic_admin(staff_groups):
    return UserFactory(username="admin", groups=["Administración clínica"], is_staff=True)


@pytest.fixture
def reception_client(client, receptionist):
    client.force_login(receptionist)
    return client


@pytest.fixture
def clinic_admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client
