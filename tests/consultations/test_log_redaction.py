"""No log line carries a join page's token: the address is as good as the link."""

from __future__ import annotations

import io
import logging
import secrets

import pytest

from consultations.log_redaction import REDACTED, RedactJoinTokens, redact


@pytest.fixture
def written():
    """What the handlers settings.LOGGING gives Django's loggers write, caught in memory."""
    streams: list[io.StringIO] = []
    swapped = []
    for name in ("django", "django.server"):
        for handler in logging.getLogger(name).handlers:
            if any(isinstance(f, RedactJoinTokens) for f in handler.filters):
                stream = io.StringIO()
                swapped.append((handler, handler.setStream(stream)))
                streams.append(stream)
    assert len(streams) == 2, "django and django.server each write through a redacting handler"
    yield lambda: "".join(stream.getvalue() for stream in streams)
    for handler, previous in swapped:
        handler.setStream(previous)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /j/abcDEF-_123 HTTP/1.1", f"GET {REDACTED} HTTP/1.1"),
        ("Not Found: /j/abc/join", f"Not Found: {REDACTED}/join"),
        ('"POST /j/x?y=1 HTTP/1.1" 302', f'"POST {REDACTED}?y=1 HTTP/1.1" 302'),
        ("GET /agenda/?date=2026-12-07", "GET /agenda/?date=2026-12-07"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.django_db
def test_a_wrong_token_leaves_no_trace_in_the_warning(client, written):
    token = secrets.token_urlsafe(32)
    assert client.get(f"/j/{token}").status_code == 404
    output = written()
    assert "Not Found" in output
    assert token not in output
    assert REDACTED in output


def test_the_access_log_of_the_development_server_drops_the_token(written):
    token = secrets.token_urlsafe(32)
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /j/{token} HTTP/1.1", 200, 512)
    output = written()
    assert f"GET {REDACTED} HTTP/1.1" in output
    assert token not in output


@pytest.mark.django_db
def test_a_join_without_csrf_is_refused_without_logging_the_token(written):
    from django.test import Client

    token = secrets.token_urlsafe(32)
    assert Client(enforce_csrf_checks=True).post(f"/j/{token}/join").status_code == 403
    output = written()
    assert "Forbidden" in output
    assert token not in output
