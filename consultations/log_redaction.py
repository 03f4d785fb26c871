"""Keeps the join page's tokens, and every query string, out of every log line.

A join-page address, `SITE_URL/j/<token>`, is as good as the join link itself (the token
is the only key), so it must never reach a log: not the development server's access
lines (`django.server`), not Django's "Not Found: /j/..." warnings (`django.request`),
not anything else that quotes a request path. `RedactJoinTokens` rewrites each record's
message on the handlers `clinic/settings.py` configures.

Query strings carry what staff type into a search (`?q=` on the desk's lists and the
admin's changelists: a document number, a name, a phone), so `DropQueryStrings` cuts
them from every request path a log line quotes: `GET /patients/?q=1234 HTTP/1.1`
is written as `GET /patients/ HTTP/1.1`. The production server's own access log is set
up the same way (docs/operations.md "Access logs").
"""

from __future__ import annotations

import logging
import re

_JOIN_TOKEN = re.compile(r"/j/[^/\s\"'?#]+")
REDACTED = "/j/[token]"
# A request path (no spaces or quotes) followed by its query string.
_QUERY_STRING = re.compile(r"(/[^\s\"'?#]*)\?[^\s\"']*")


def redact(text: str) -> str:
    return _JOIN_TOKEN.sub(REDACTED, text)


def drop_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(r"\1", text)


class _RewritingFilter(logging.Filter):
    """Replaces a record's message with `rewrite(message)` when that changes it."""

    @staticmethod
    def rewrite(text: str) -> str:
        raise NotImplementedError

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken format string: let logging report it as usual
        cleaned = self.rewrite(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class RedactJoinTokens(_RewritingFilter):
    # django.server passes the request for its formatter; its path is in the message.
    rewrite = staticmethod(redact)


class DropQueryStrings(_RewritingFilter):
    rewrite = staticmethod(drop_query_strings)
