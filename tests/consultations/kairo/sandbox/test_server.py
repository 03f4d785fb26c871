"""Which hosts the sandbox's server counts as loopback."""

from __future__ import annotations

import pytest

from consultations.kairo.sandbox import is_loopback_host


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),  # noqa: S104 - the address under test, not a bind
        ("192.168.1.20", False),
        ("kairo.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host, loopback):
    assert is_loopback_host(host) is loopback
