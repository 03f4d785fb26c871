"""Reading a verified webhook body: the envelope, or ValueError and nothing else."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from consultations.kairo.client import KairoClient
from consultations.kairo.webhook_body import webhook_envelope_parse

# Only its reading of Kairo's times is used: nothing is sent.
BOGOTA_CLIENT = KairoClient(
    base_url="http://127.0.0.1:9",
    api_key="k",
    api_secret="s",
    timezone=ZoneInfo("America/Bogota"),
    connect_timeout=1,
    read_timeout=1,
)

ENVELOPE = {
    "event": "session_started",
    "timestamp": "2030-03-14T15:00:00Z",
    "organizationId": "org_1",
    "data": {"consultationId": "c-1", "participant": "patient", "unknown": [1, 2]},
    "version": "v1",
    "extra": "ignored",
}


def parse(value) -> object:
    return webhook_envelope_parse(json.dumps(value).encode())


def test_the_envelope_is_read_and_unknown_fields_kept():
    envelope = parse(ENVELOPE)
    assert envelope.event == "session_started"
    assert envelope.organization_id == "org_1"
    assert envelope.consultation_id == "c-1"
    assert envelope.participant == "patient"
    assert envelope.body["extra"] == "ignored"


@pytest.mark.parametrize(
    ("occurred", "expected"),
    [
        ("2030-03-14T10:02:00-05:00", dt.datetime(2030, 3, 14, 15, 2, tzinfo=dt.UTC)),
        (None, dt.datetime(2030, 3, 14, 15, 0, tzinfo=dt.UTC)),
        ("2030-03-14 10:02", dt.datetime(2030, 3, 14, 15, 2, tzinfo=dt.UTC)),  # wall time
        (
            "9999-12-31 23:59",
            dt.datetime(2030, 3, 14, 15, 0, tzinfo=dt.UTC),
        ),  # past year 9999 in UTC
        (12, dt.datetime(2030, 3, 14, 15, 0, tzinfo=dt.UTC)),
    ],
)
def test_when_a_session_event_happened(occurred, expected):
    data = {**ENVELOPE["data"], "occurredAt": occurred}
    assert parse({**ENVELOPE, "data": data}).occurred_at(BOGOTA_CLIENT.parse_datetime) == expected


def test_no_moment_at_all_is_none():
    data = {**ENVELOPE["data"], "occurredAt": "soon"}
    envelope = parse({**ENVELOPE, "data": data, "timestamp": "later"})
    assert envelope.occurred_at(BOGOTA_CLIENT.parse_datetime) is None


@pytest.mark.parametrize("key", ["event", "timestamp", "organizationId", "version", "data"])
def test_each_envelope_key_is_required(key):
    with pytest.raises(ValueError):
        parse({name: value for name, value in ENVELOPE.items() if name != key})


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xc3\x28", b"{", b"[]", b"1", b'{"data": NaN}', b"-Infinity", b"[" * 50_000],
)
def test_anything_else_is_a_value_error(raw):
    with pytest.raises(ValueError):
        webhook_envelope_parse(raw)


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_strings_a_database_cannot_store_are_refused(text):
    with pytest.raises(ValueError):
        parse({**ENVELOPE, "data": {"deep": [{"x": text}]}})
    with pytest.raises(ValueError):
        parse({**ENVELOPE, "data": {text: 1}})
