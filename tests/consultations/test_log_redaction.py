"""No log line carries a join page's token: the address is as good as the link."""

from __future__ import annotations

import io
import logging
import secrets

import pytest

from consultations.log_redaction import REDACTED, RedactJoinTokens, drop_query_strings, redact


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


# --- Query strings: what staff type into a search never reaches a log ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"GET /patients/?q=1023456789 HTTP/1.1" 200', '"GET /patients/ HTTP/1.1" 200'),
        (
            '"GET /admin/consultations/patient/?q=1023456789&o=1 HTTP/1.1" 200',
            '"GET /admin/consultations/patient/ HTTP/1.1" 200',
        ),
        ("GET /patients/search.json?q=Ríos HTTP/1.1", "GET /patients/search.json HTTP/1.1"),
        ("GET /agenda/ HTTP/1.1", "GET /agenda/ HTTP/1.1"),
        ("Is this a question? yes", "Is this a question? yes"),
    ],
)
def test_drop_query_strings(text, expected):
    assert drop_query_strings(text) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/patients/?q=1023456789",
        "/consultations/new/?q=1023456789",
        "/consultations/?q=1023456789&status=booked",
        "/admin/consultations/patient/?q=1023456789",
        "/admin/consultations/consultation/?q=1023456789",
    ],
)
def test_the_access_log_drops_every_search_of_the_desk_and_the_admin(written, path):
    logging.getLogger("django.server").info('"%s" %s %s', f"GET {path} HTTP/1.1", 200, 512)
    output = written()
    assert path.split("?")[0] in output
    assert "1023456789" not in output
    assert "?" not in output


def test_a_warning_quoting_a_search_carries_no_document_number(written):
    logging.getLogger("django.request").warning("Not Found: %s", "/patients/?q=1023456789")
    output = written()
    assert "Not Found: /patients/" in output
    assert "1023456789" not in output
