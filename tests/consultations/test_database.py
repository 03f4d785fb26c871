"""Telling a lost database connection from other database errors, and the bounded
waits between reconnections."""

from __future__ import annotations

import pytest
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)

from consultations.database import connection_lost, connection_reset, reconnect_waits


def _error(cls, sqlstate: str | None):
    cause = type("DriverError", (Exception,), {"sqlstate": sqlstate})()
    error = cls("database error")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "sqlstate", ["08000", "08003", "08006", "08001", "57P01", "57P02", "57P03", "53300"]
)
def test_a_connection_sqlstate_means_lost(sqlstate):
    assert connection_lost(_error(OperationalError, sqlstate))


@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "57014", "55P03", "53200"])
def test_a_statement_failing_on_a_working_connection_is_not_lost(sqlstate):
    assert not connection_lost(_error(OperationalError, sqlstate))


def test_a_closed_connection_is_lost_and_other_errors_are_not():
    assert connection_lost(InterfaceError("connection already closed"))
    assert not connection_lost(_error(IntegrityError, "08006"))
    assert not connection_lost(_error(DatabaseError, None))
    assert not connection_lost(ValueError())


def test_no_sqlstate_is_lost_only_on_postgresql():
    """psycopg's errors without one are its own "no server answered"; SQLite's never
    carry one ("database is locked")."""
    expected = connection.vendor == "postgresql"
    assert connection_lost(_error(OperationalError, None)) is expected


@pytest.mark.django_db
def test_no_reset_inside_a_transaction():
    with transaction.atomic():
        assert connection_reset() is False
        assert connection.connection is not None


def test_the_waits_double_and_never_add_up_past_the_total():
    assert reconnect_waits(attempts=5, total_seconds=8) == [0.25, 0.5, 1, 2, 4]
    assert reconnect_waits(attempts=5, total_seconds=1) == [0.25, 0.5, 0.25, 0, 0]
    assert reconnect_waits(attempts=3, total_seconds=0) == [0, 0, 0]
    assert reconnect_waits(attempts=0, total_seconds=8) == []
