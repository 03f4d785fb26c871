"""Reading the desk's pages in tests."""

from __future__ import annotations

import re


def page_text(response) -> str:
    return response.content.decode()


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang>"
    return match.group(1)
