"""Kairo's answer to a booking kept on local disk when the database could not record it
(step 3 failed through every reconnection), and replayed by the sweep once the database
answers again.

One JSON file per booking in BOOKING_ANSWER_SPOOL_DIR, written atomically (a temporary
file, fsync, rename), holding only our consultation's pk, Kairo's consultationId, the
requestId and when it was written: no PIN, no join link, no patient data. The replay
reads the detail again from Kairo (GET /consultations/{id}, contract "Get a
consultation"), as a refresh or the webhook's healing does.

Each web server has its own directory unless it is shared: the sweep must run where the
files are (docs/operations.md "Running several servers").
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from consultations.services.audit import booking_recorded_late
from consultations.services.booking.outcomes import booking_confirm
from consultations.services.events import event_record, status_detail
from consultations.services.kairo_mapping import kairo_client

logger = logging.getLogger("consultations.booking")

Status = ConsultationStatus
_SUFFIX = ".json"
_ASIDE = ".unreadable"


def spool_dir() -> Path:
    return Path(settings.BOOKING_ANSWER_SPOOL_DIR)


def answer_spool_write(*, consultation_pk: int, kairo_id: uuid.UUID, request_id: str) -> bool:
    """Keep Kairo's id and requestId for consultation `consultation_pk`; False (logged)
    when even the disk refuses."""
    directory = spool_dir()
    entry = {
        "consultation": consultation_pk,
        "kairo_consultation_id": str(kairo_id),
        "request_id": request_id,
        "written_at": timezone.now().isoformat(),
    }
    tmp = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{consultation_pk}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / f"{consultation_pk}{_SUFFIX}")
        tmp = None
        _fsync_dir(directory)
    except OSError as exc:
        logger.error(
            "Could not keep Kairo's answer for consultation %s in %s (%s)",
            consultation_pk,
            directory,
            type(exc).__name__,
        )
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    """The rename itself survives a crash once the directory is flushed (POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def answer_spool_replay(*, client: kairo.KairoClient | None = None) -> int:
    """Record every kept answer whose booking is still sending or unconfirmed without a
    Kairo id (Kairo's detail fetched again); drop entries already linked; leave those
    whose detail Kairo could not give for the next run; move unreadable files aside
    (logged). Safe to run concurrently. Returns how many bookings it confirmed."""
    directory = spool_dir()
    if not directory.is_dir():
        return 0
    paths = sorted(p for p in directory.iterdir() if p.name.endswith(_SUFFIX))
    if not paths:
        return 0
    client = client or kairo_client()
    confirmed = 0
    for path in paths:
        try:
            confirmed += _replay_one(path, client)
        except OSError as exc:
            logger.warning("Kept booking answer %s could not be read (%s)", path.name, exc)
    return confirmed


def _read(path: Path) -> tuple[int, uuid.UUID, str] | None:
    """The entry, or None when it is not one (then moved aside, logged)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        pk = entry["consultation"]
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise TypeError("consultation is not an id")
        kairo_id = uuid.UUID(entry["kairo_consultation_id"])
        request_id = entry.get("request_id") or ""
        if not isinstance(request_id, str):
            raise TypeError("request_id is not text")
    except FileNotFoundError:
        return None  # another sweep took it
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        aside = path.with_name(path.name + _ASIDE)
        logger.error(
            "Kept booking answer %s is unreadable (%s); moved aside as %s",
            path.name,
            type(exc).__name__,
            aside.name,
        )
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            pass
        return None
    return pk, kairo_id, request_id[:100]


def _waiting(pk: int) -> bool:
    return Consultation.objects.filter(
        pk=pk,
        status__in=(Status.SENDING, Status.UNCONFIRMED),
        kairo_consultation_id__isnull=True,
    ).exists()


def _replay_one(path: Path, client: kairo.KairoClient) -> int:
    read = _read(path)
    if read is None:
        return 0
    pk, kairo_id, request_id = read
    if not _waiting(pk):
        path.unlink(missing_ok=True)  # already linked (the webhook won), or gone
        return 0
    # The requestId is known even if Kairo cannot answer now: staff can quote it.
    Consultation.objects.filter(pk=pk, kairo_last_request_id="").update(
        kairo_last_request_id=request_id
    )
    try:
        remote = client.get_consultation(kairo_id)  # outside any transaction
    except kairo.KairoError as error:
        logger.warning(
            "Kept booking answer for consultation %s: Kairo's detail failed (%s, "
            "requestId=%s); kept for the next sweep",
            pk,
            error.code,
            error.request_id or "-",
        )
        return 0
    try:
        done = _confirm(pk, remote, request_id)
    except IntegrityError:
        # Kairo's id already names another booking here: a person must look.
        logger.error(
            "Kept booking answer for consultation %s names a Kairo id another booking "
            "holds; moved aside",
            pk,
        )
        os.replace(path, path.with_name(path.name + _ASIDE))
        return 0
    path.unlink(missing_ok=True)
    return done


def _confirm(pk: int, remote: kairo.Consultation, request_id: str) -> int:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().filter(pk=pk).first()
        if (
            current is None
            or current.kairo_consultation_id is not None
            or current.status not in (Status.SENDING, Status.UNCONFIRMED)
        ):
            return 0  # another sweep, or the webhook, got there first
        with transaction.atomic():  # a savepoint: the unique Kairo id may refuse
            before = booking_confirm(current, remote)
        event_record(
            current,
            ConsultationEvent.Kind.BOOKED,
            request_id=request_id or remote.request_id,
            detail=status_detail(before, current, kairo_status=remote.status, replayed=True),
        )
        # Nobody saw a result page: the audit row is written now, in the booker's name.
        booking_recorded_late(current, healed_by="answer_spool")
    logger.info("Kept booking answer recorded: consultation %s booked", pk)
    return 1
