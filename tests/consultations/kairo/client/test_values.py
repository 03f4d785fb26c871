"""The client's request values keep personal data out of repr()."""

from __future__ import annotations

from tests.consultations.kairo.conftest import booking


def test_request_dataclasses_hide_personal_data_in_repr():
    request = booking()
    text = repr(request)
    for value in ("1020304050", "+573109876543", "juan.gomez", "Juan Camilo", "52123456"):
        assert value not in text
