"""Fixtures for the service tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def book(book_consultation):
    """book(**overrides) -> Consultation, with a new patient two hours ahead by default."""
    return book_consultation
