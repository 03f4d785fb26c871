"""The suite's network guard: pytest-socket, configured in pyproject.toml, lets tests
connect to loopback (127.0.0.0/8, ::1, localhost) and Unix sockets, and nothing else."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")
@pytest.mark.parametrize(
    ("family", "host"),
    [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")],  # noqa: S104 - connected to, not bound
    ids=["ipv4", "ipv6"],
)
def test_a_connection_beyond_loopback_is_refused(family, host):
    # Not loopback, yet a connection there would stay on this machine should the guard
    # ever let it through: the test never sends a packet anywhere else.
    with socket.socket(family) as probe, pytest.raises(SocketConnectBlockedError, match=host):
        probe.connect((host, 9))


def _listener(family: int, address: str) -> socket.socket:
    listener = socket.socket(family)
    try:
        listener.bind((address, 0))
    except OSError as exc:
        listener.close()
        pytest.skip(f"no {address} on this machine: {exc}")
    listener.listen(1)
    return listener


@pytest.mark.parametrize(
    ("family", "bind", "host"),
    [
        (socket.AF_INET, "127.0.0.1", "127.0.0.1"),
        (socket.AF_INET, "127.0.0.2", "127.0.0.2"),  # the whole 127.0.0.0/8 is loopback
        (socket.AF_INET, "127.0.0.1", "localhost"),
        (socket.AF_INET6, "::1", "::1"),
    ],
    ids=["127.0.0.1", "127.0.0.2", "localhost", "::1"],
)
def test_loopback_connections_are_allowed(family, bind, host):
    with _listener(family, bind) as listener, socket.socket(family) as probe:
        probe.connect((host, listener.getsockname()[1]))
        accepted, _ = listener.accept()
        accepted.close()
        assert probe.getpeername()[0] == bind


def test_unix_sockets_are_allowed(tmp_path):
    path = str(tmp_path / "guard.sock")
    with socket.socket(socket.AF_UNIX) as listener, socket.socket(socket.AF_UNIX) as probe:
        listener.bind(path)
        listener.listen(1)
        probe.connect(path)
        assert probe.getpeername() == path
