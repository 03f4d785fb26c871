"""Fixtures for the command tests.

`kairo_check` and `kairo_sandbox` are tried against the Kairo tests' own partners: a
sandbox on a manual clock served over loopback (`sandbox_server`, with the `sandbox` and
`clock` it is built on) and a webhook receiver. They come from
tests/consultations/kairo/conftest.py; here `sandbox` is that fresh sandbox, not the
process-wide one of tests/consultations/conftest.py.
"""

from tests.consultations.kairo.conftest import (  # noqa: F401 - fixtures, used by name
    clock,
    sandbox,
    sandbox_server,
    webhook_receiver,
)
