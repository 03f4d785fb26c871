"""The services' Kairo client: one per thread, built once, rebuilt when settings change
(house style: one requests.Session; requests does not promise a Session is thread-safe)."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from consultations.kairo.client import KairoClient
from consultations.services import kairo_mapping


def _in_another_thread() -> tuple[KairoClient, KairoClient]:
    made: list[KairoClient] = []

    def use_twice() -> None:
        made.extend([kairo_mapping.kairo_client(), kairo_mapping.kairo_client()])

    worker = threading.Thread(target=use_twice)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    first, second = made
    return first, second


def test_calls_in_one_thread_share_one_client():
    first = kairo_mapping.kairo_client()
    assert kairo_mapping.kairo_client() is first
    assert kairo_mapping.kairo_client().session is first.session


def test_a_settings_change_builds_a_new_client(settings):
    before = kairo_mapping.kairo_client()
    settings.KAIRO_TIMEOUT = 42.0
    after = kairo_mapping.kairo_client()
    assert after is not before
    assert after.timeout == (settings.KAIRO_CONNECT_TIMEOUT, 42.0)
    assert kairo_mapping.kairo_client() is after


def test_settings_unrelated_to_kairo_keep_the_client(settings):
    before = kairo_mapping.kairo_client()
    settings.SITE_NAME_FOR_THIS_TEST = "anything"
    assert kairo_mapping.kairo_client() is before


def test_another_thread_gets_its_own_client():
    mine = kairo_mapping.kairo_client()
    first, second = _in_another_thread()
    assert first is second  # reused within that thread too
    assert first is not mine
    assert first.session is not mine.session
    assert kairo_mapping.kairo_client() is mine


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "answered", "kept"),
    [
        ("InProgress", "Pending", "InProgress"),  # a create answer older than a webhook
        ("Completed", "InProgress", "Completed"),
        ("Pending", "InProgress", "InProgress"),
        ("InProgress", "Completed", "Completed"),
        ("", "Pending", "Pending"),
    ],
)
def test_kairos_status_only_moves_forward(book_consultation, stored, answered, kept):
    consultation = book_consultation()
    remote = dataclasses.replace(
        kairo_mapping.kairo_client().get_consultation(consultation.kairo_consultation_id),
        status=answered,
    )
    consultation.kairo_status = stored
    kairo_mapping.remote_apply(consultation, remote)
    assert consultation.kairo_status == kept
    assert consultation.access_pin == remote.access_pin  # the rest is applied as ever
