"""The database connection when it drops: telling a lost connection from other database
errors, starting afresh after one, and the bounded waits between reconnections.

PostgreSQL ends a connection on `pg_terminate_backend`, on a restart or a failover; the
process's next query then fails with an OperationalError (or InterfaceError once the
driver knows it is closed), and keeps failing until the connection is closed and a new
one opened.
"""

from __future__ import annotations

from django.db import Error, InterfaceError, OperationalError, connection

# SQLSTATEs that mean the server ended the session or cannot take one: class 08
# (connection exception), admin_shutdown (pg_terminate_backend, a fast shutdown),
# crash_shutdown, cannot_connect_now (starting up or shutting down), and
# too_many_connections (a new one refused for now).
_LOST_CLASS = "08"
_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})

# The first wait before reconnecting; each next one doubles.
FIRST_RECONNECT_WAIT_SECONDS = 0.25


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` says the database connection is gone (or could not be opened),
    rather than that a statement failed on a working one."""
    if isinstance(exc, InterfaceError):
        return True  # the driver refused to use a connection it knows is closed
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    if sqlstate:
        return sqlstate.startswith(_LOST_CLASS) or sqlstate in _LOST_SQLSTATES
    # psycopg raises without a SQLSTATE only when no server answered: refused, reset, or
    # a connection it already found broken. SQLite's errors never carry one ("database
    # is locked" is a busy file, not a lost server).
    return connection.vendor == "postgresql"


def connection_reset() -> bool:
    """Close the default connection, so that the next query opens a new one. False, and
    nothing done, inside a transaction: a new connection could not carry it on."""
    if connection.in_atomic_block:
        return False
    try:
        connection.close()
    except Error:
        pass  # closing a broken connection may fail; Django has dropped it all the same
    return True


def reconnect_waits(*, attempts: int, total_seconds: float) -> list[float]:
    """The waits before each of `attempts` reconnections: 0.25 s, then doubling, each cut
    to what is left of `total_seconds` (so they never add up to more). The time a
    connection attempt itself takes is the driver's (`connect_timeout`)."""
    waits = []
    left = total_seconds
    wait = FIRST_RECONNECT_WAIT_SECONDS
    for _ in range(attempts):
        waits.append(min(wait, left))
        left -= waits[-1]
        wait *= 2
    return waits
