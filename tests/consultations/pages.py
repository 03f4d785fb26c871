"""Reading the desk's pages in tests."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_text(response) -> str:
    return response.content.decode()


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang>"
    return match.group(1)


def statements_with_one_and_five_rows(client, url: str, add: Callable[[int], None]):
    """The page at `url` read with one row and then five (`add(n)` makes n more): both
    statement counts, and the second response."""
    add(1)
    client.get(url)  # warm caches (content types, the badge's statement)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add(4)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    return len(one), len(five), response
