"""Keeps the join page's tokens out of every log line.

A join-page address, `SITE_URL/j/<token>`, is as good as the join link itself (the token
is the only key), so it must never reach a log: not the development server's access
lines (`django.server`), not Django's "Not Found: /j/..." warnings (`django.request`),
not anything else that quotes a request path. `RedactJoinTokens` rewrites each record's
message on the handlers `clinic/settings.py` configures.
"""

from __future__ import annotations

import logging
import re

_JOIN_TOKEN = re.compile(r"/j/[^/\s\"'?#]+")
REDACTED = "/j/[token]"


def redact(text: str) -> str:
    return _JOIN_TOKEN.sub(REDACTED, text)


class RedactJoinTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken format string: let logging report it as usual
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        # django.server passes the request for its formatter; its path is in the message.
        return True
