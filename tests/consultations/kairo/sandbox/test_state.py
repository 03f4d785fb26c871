"""The sandbox's state file: consultations, providers, session data and counters survive
a new instance; a corrupt file is warned about and ignored; reset removes it; writes are
atomic even when many threads change the state at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading

import pytest

from consultations.kairo import contract
from consultations.kairo.sandbox import KairoSandbox
from tests.consultations.kairo.conftest import (
    BOGOTA,
    START,
    booking,
    in_process_client,
    patient_data,
    provider_data,
)

AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}


@pytest.fixture
def state_file(tmp_path):
    return str(tmp_path / "kairo-sandbox.json")


@pytest.fixture
def make_box(clock, state_file):
    boxes: list[KairoSandbox] = []

    def make(**overrides) -> KairoSandbox:
        kwargs = {"timezone": BOGOTA, "clock": clock, "state_file": state_file}
        kwargs.update(overrides)
        box = KairoSandbox(**kwargs)
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.webhooks.close()


_client = in_process_client


def test_a_new_instance_answers_for_what_a_previous_one_created(make_box, clock, state_file):
    yesterday = make_box()
    with _client(yesterday) as client:
        created = client.create_consultation(booking())
    yesterday.trigger(created.consultation_id, contract.EVENT_SESSION_STARTED, "patient")
    assert os.path.exists(state_file)

    today = make_box()  # the process restarted
    with _client(today) as client:
        detail = client.get_consultation(created.consultation_id)
        assert detail.access_pin == created.access_pin
        assert detail.patient_url == created.patient_url
        assert detail.status == contract.STATUS_IN_PROGRESS
        assert detail.session_info is not None
        assert detail.session_info.patient_joined_at == START
        assert [p.name for p in client.list_providers()] == [provider_data().name]
    assert today.stats()["createsReceived"] == 1

    data = today.trigger(created.consultation_id, contract.EVENT_SESSION_STARTED, "provider")
    assert data["sessionInfo"]["providerJoinedAt"]
    today.trigger(created.consultation_id, contract.EVENT_CONSULTATION_COMPLETED)
    assert make_box().stats()["consultationsByStatus"] == {contract.STATUS_COMPLETED: 1}


def test_the_overlap_rule_still_sees_yesterdays_bookings(make_box):
    with _client(make_box()) as client:
        client.create_consultation(booking())
    with _client(make_box()) as client, pytest.raises(Exception) as caught:
        client.create_consultation(booking(patient=patient_data(document_number="99887766")))
    assert getattr(caught.value, "code", None) == contract.ERROR_PROVIDER_NOT_AVAILABLE


def test_a_file_is_written_only_after_a_change(make_box, state_file):
    box = make_box()
    box.handle("GET", "/organizations/profile", AUTH, b"")
    assert not os.path.exists(state_file)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"version": 99}',
        b'{"version": 1, "consultations": [{}]}',
    ],
)
def test_a_corrupt_file_is_warned_about_and_the_sandbox_starts_empty(
    make_box, state_file, caplog, content
):
    with open(state_file, "wb") as stream:
        stream.write(content)
    with caplog.at_level(logging.WARNING, logger="consultations.kairo.sandbox"):
        box = make_box()
    assert box.stats()["consultations"] == 0
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "corrupt" in record.getMessage()
    assert state_file in record.getMessage()
    # It goes on working, and the next change replaces the bad file.
    with _client(box) as client:
        client.create_consultation(booking())
    assert make_box().stats()["consultations"] == 1


def test_an_unreadable_file_is_warned_about(make_box, tmp_path, caplog):
    folder = tmp_path / "a-folder-not-a-file"
    folder.mkdir()
    with caplog.at_level(logging.WARNING, logger="consultations.kairo.sandbox"):
        box = make_box(state_file=str(folder))
        with _client(box) as client:
            created = client.create_consultation(booking())  # cannot be written: kept in memory
    assert box.stats()["consultations"] == 1
    assert str(created.consultation_id)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("cannot read" in m for m in messages)
    assert any("cannot write" in m for m in messages)


@pytest.mark.parametrize("how", ["python", "http"])
def test_reset_forgets_the_file_too(make_box, state_file, how):
    box = make_box()
    with _client(box) as client:
        client.create_consultation(booking())
    assert os.path.exists(state_file)
    if how == "python":
        box.reset()
    else:
        assert box.handle("POST", "/_sandbox/reset", AUTH, b"").status == 200
    assert not os.path.exists(state_file)
    assert make_box().stats()["consultations"] == 0


def test_the_file_is_private_and_leaves_no_temporary_files(make_box, state_file, tmp_path):
    with _client(make_box()) as client:
        client.create_consultation(booking())
    assert os.stat(state_file).st_mode & 0o077 == 0
    assert os.listdir(tmp_path) == [os.path.basename(state_file)]


def test_concurrent_changes_leave_a_whole_file_with_every_consultation(
    make_box, state_file, tmp_path
):
    """Eight threads book at once while a reader keeps opening the file: the reader only
    ever meets a whole JSON document, and the last one holds all eight."""
    box = make_box()
    done = threading.Event()
    seen_broken: list[bytes] = []

    def read_loop() -> None:
        while not done.is_set():
            try:
                with open(state_file, "rb") as stream:
                    raw = stream.read()
            except FileNotFoundError:
                continue
            try:
                json.loads(raw)
            except ValueError:
                seen_broken.append(raw)

    def book(index: int) -> None:
        with _client(box) as client:
            client.create_consultation(
                booking(
                    provider=provider_data(document_number=f"5212{index:04d}"),
                    patient=patient_data(document_number=f"1020{index:04d}"),
                    scheduled_at=START + dt.timedelta(hours=1 + index),
                )
            )

    barrier = threading.Barrier(8)
    reader = threading.Thread(target=read_loop)
    reader.start()

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        book(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    done.set()
    reader.join(timeout=10)
    assert not seen_broken
    with open(state_file, "rb") as stream:
        assert len(json.loads(stream.read())["consultations"]) == 8
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(state_file)]
    assert make_box().stats()["consultations"] == 8
