"""Bulk data for the harness: providers, patients, consultations and their first timeline
event, written with PostgreSQL COPY into the real tables.

`python -m bench.generate --consultations N --manifest FILE` (DATABASE_URL names a
migrated database with its catalogs loaded). Every constraint holds as if the rows had
been saved through the models:

- no provider and no patient has two overlapping active windows (the exclusion
  constraints of migration 0004): each provider's day is laid out by `slots.day_windows`,
  and a patient is booked at most once a day;
- unique document per provider and per patient, unique Kairo ids;
- `document_number` and `name_search` go through the models' own normalizers
  (consultations/models/directory/identifiers.py), as `save()` would store them;
- the generated hours are 07:00-19:00 in the organization's zone, so 06:00-07:00 stays
  free for the bookings the harness makes (`bench.client.SlotAllocator`).

Each COPY is finished before any other statement runs on its connection (a query sent
while a COPY is open deadlocks the session), and the tables are ANALYZEd at the end.
The manifest (JSON) tells the measuring side which ids and terms to use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import columns
from bench.columns import copy_plan
from bench.shape import (
    DAY_STARTS,
    DAY_UNITS,
    DAYS,
    DAYS_AHEAD,
    DESK_USERS,
    DURATIONS,
    FIRST,
    KAIRO_STATUS,
    LAST,
    PASSWORD,
    PATIENTS_PER_CONSULTATION,
    PROVIDERS,
    SEED,
    day_counts,
    null,
    status_for,
    ts,
)
from bench.slots import day_windows, split_count


def generate(consultation_total: int, manifest_path: Path, log=print) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    django.setup()
    import psycopg
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection

    from consultations.access import RECEPTION, staff_groups_ensure
    from consultations.clock import organization_zone
    from consultations.models import (
        Consultation,
        ConsultationEvent,
        ConsultationType,
        MedicalSpecialty,
        Patient,
        ProfessionalType,
        Provider,
    )
    from consultations.models.directory.identifiers import (
        document_number_normalize,
        name_search_key,
    )

    started = time.monotonic()
    rng = random.Random(SEED)
    zone = organization_zone()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.astimezone(zone).date()

    # --- Everything the ORM does, before any COPY (users, catalog ids) ---------------------
    staff_groups_ensure()
    User = get_user_model()
    hashed = make_password(PASSWORD)
    reception = Group.objects.get(name=RECEPTION)
    desk_names = [f"bench-desk-{n:02d}" for n in range(1, DESK_USERS + 1)]
    for username in desk_names:
        user, _ = User.objects.get_or_create(username=username, defaults={"password": hashed})
        user.groups.set([reception])
    admin, _ = User.objects.get_or_create(
        username="bench-admin",
        defaults={"password": hashed, "is_staff": True, "is_superuser": True},
    )
    desk_ids = list(User.objects.filter(username__in=desk_names).values_list("id", flat=True))
    types = list(
        ProfessionalType.objects.filter(is_active=True).values_list(
            "id", "code", "requires_specialty"
        )
    )
    specialties = list(MedicalSpecialty.objects.filter(is_active=True).values_list("id", "code"))
    consultation_types = list(
        ConsultationType.objects.filter(is_active=True).values_list("id", "code")
    )
    plans = {
        "provider": copy_plan(connection, Provider, columns.PROVIDER),
        "patient": copy_plan(connection, Patient, columns.PATIENT),
        "consultation": copy_plan(connection, Consultation, columns.CONSULTATION),
        "event": copy_plan(connection, ConsultationEvent, columns.EVENT),
    }
    connection.close()

    db = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=str(db.get("PORT") or 5432),
    )

    # --- Providers ----------------------------------------------------------------------------
    providers = []
    for index in range(1, PROVIDERS + 1):
        type_id, type_code, needs_specialty = types[index % len(types)]
        specialty = specialties[index % len(specialties)] if needs_specialty else None
        title = "Dra." if index % 2 else "Dr."
        name = f"{title} {rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"[:50]
        providers.append(
            {
                "id": index,
                "name": name,
                "document_type": "CC",
                "document_number": document_number_normalize(f"80.{index:06d}"),
                "professional_type": type_code,
                "professional_type_id": type_id,
                "specialty_code": specialty[1] if specialty else None,
                "specialty_id": specialty[0] if specialty else None,
                "phone": f"+57310{index:07d}",
                "email": f"profesional{index}@clinica-bench.co",
                "license": f"RM-{index:05d}",
            }
        )

    patient_total = max(20, round(consultation_total * PATIENTS_PER_CONSULTATION))
    patients = []
    for index in range(1, patient_total + 1):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        kind = "CC" if index % 10 else rng.choice(("TI", "CE", "PAS"))
        raw = f"{1_000_000_000 + index:,}".replace(",", ".") if kind != "PAS" else f"PA{index:08d}"
        patients.append((index, name, kind, document_number_normalize(raw)))

    # --- Consultations, with their first timeline event (to a file until the COPY ends) -----
    first_day = today - dt.timedelta(days=DAYS - DAYS_AHEAD - 1)
    days = [first_day + dt.timedelta(days=n) for n in range(DAYS)]
    busiest = today + dt.timedelta(days=7)
    counts = day_counts(consultation_total, days, busiest, rng)
    if max(counts) > patient_total:
        raise ValueError("more consultations on one day than patients")
    events_file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    webhook_targets: list[str] = []
    sample_ids: dict[str, int] = {}
    consultation_id = 0
    per_patient = [0] * (patient_total + 1)

    with psycopg.connect(conninfo, autocommit=False) as conn:
        with conn.cursor() as cursor:
            with cursor.copy(plans["provider"][0]) as copy:
                created = ts(now - dt.timedelta(days=DAYS + 30))
                for p in providers:
                    copy.write(
                        "\t".join(
                            (
                                str(p["id"]),
                                p["document_type"],
                                p["document_number"],
                                p["phone"],
                                p["email"],
                                created,
                                created,
                                p["name"],
                                "t" if p["specialty_id"] else "f",
                                p["license"],
                                "t",
                                str(p["professional_type_id"]),
                                null(p["specialty_id"]),
                                name_search_key(p["name"]),
                            )
                        )
                        + plans["provider"][1]
                        + "\n"
                    )
            with cursor.copy(plans["patient"][0]) as copy:
                buffer = []
                for index, name, kind, number in patients:
                    created = ts(now - dt.timedelta(days=DAYS + 10, minutes=index))
                    buffer.append(
                        "\t".join(
                            (
                                str(index),
                                kind,
                                number,
                                f"+57300{index:07d}",
                                f"paciente{index}@correo-bench.co",
                                created,
                                created,
                                name,
                                "es" if index % 7 else "en",
                                "t",
                                created,
                                "2026-01",
                                str(desk_ids[index % len(desk_ids)]),
                                name_search_key(name),
                                "\\N",
                                "\\N",
                                "\\N",
                            )
                        )
                        + plans["patient"][1]
                    )
                    if len(buffer) >= 5000:
                        copy.write("\n".join(buffer) + "\n")
                        buffer.clear()
                if buffer:
                    copy.write("\n".join(buffer) + "\n")
            conn.commit()
            log(f"generate: {PROVIDERS} providers, {patient_total} patients")

            with cursor.copy(plans["consultation"][0]) as copy:
                buffer = []
                for day, count in zip(days, counts, strict=True):
                    if not count:
                        continue
                    opens = dt.datetime.combine(day, DAY_STARTS, tzinfo=zone).astimezone(dt.UTC)
                    day_patients = rng.sample(range(1, patient_total + 1), count)
                    taken = 0
                    for provider_index, k in enumerate(split_count(count, PROVIDERS, rng)):
                        for start_minute, minutes in day_windows(k, DURATIONS, DAY_UNITS, rng):
                            consultation_id += 1
                            patient_id = day_patients[taken]
                            taken += 1
                            per_patient[patient_id] += 1
                            starts = opens + dt.timedelta(minutes=start_minute)
                            ends = starts + dt.timedelta(minutes=minutes)
                            status = status_for(starts, ends, now, rng.random())
                            if status == "cancelled":
                                kairo_status = "Expired" if ends <= now else "Pending"
                            else:
                                kairo_status = KAIRO_STATUS[status]
                            has_kairo = status not in ("rejected", "unconfirmed")
                            kairo_id = (
                                str(uuid.UUID(int=rng.getrandbits(128), version=4))
                                if has_kairo
                                else None
                            )
                            created_at = min(starts - dt.timedelta(hours=rng.randint(1, 500)), now)
                            updated_at = min(ends if ends <= now else created_at, now)
                            room = uuid.UUID(int=consultation_id).hex
                            booked_by = desk_ids[consultation_id % len(desk_ids)]
                            cancelled = status == "cancelled"
                            joined = ts(starts) if status in ("completed", "in_progress") else None
                            ctype = consultation_types[consultation_id % len(consultation_types)][0]
                            buffer.append(
                                "\t".join(
                                    (
                                        str(consultation_id),
                                        ts(starts),
                                        ts(starts),
                                        ts(ends),
                                        status,
                                        null(kairo_id),
                                        f"{rng.randrange(10**6):06d}" if has_kairo else "",
                                        f"https://meet.kairo.example/r/{room}?type=patient"
                                        if has_kairo
                                        else "",
                                        f"https://meet.kairo.example/r/{room}?type=provider"
                                        if has_kairo
                                        else "",
                                        ts(ends) if has_kairo else "\\N",
                                        kairo_status,
                                        f"req-{consultation_id:x}",
                                        "\\N",
                                        ts(created_at),
                                        ts(updated_at),
                                        str(booked_by),
                                        str(ctype),
                                        str(minutes),
                                        str(patient_id),
                                        str(provider_index + 1),
                                        "\\N",
                                        "good" if status == "completed" else "",
                                        "El paciente no puede asistir" if cancelled else "",
                                        ts(created_at) if cancelled else "\\N",
                                        str(booked_by) if cancelled else "\\N",
                                        "\\N",
                                        null(joined),
                                        null(joined),
                                        null(joined),
                                        "0",
                                        "\\N",
                                    )
                                )
                                + plans["consultation"][1]
                            )
                            kind = {"rejected": "rejected", "unconfirmed": "unconfirmed"}.get(
                                status, "booked"
                            )
                            events_file.write(
                                f"{consultation_id}\t{kind}\t{ts(created_at)}\treq-{consultation_id:x}"
                                f"\t{{}}\t{booked_by}\t{consultation_id}{plans['event'][1]}\n"
                            )
                            if status == "booked" and len(webhook_targets) < 5000:
                                webhook_targets.append(kairo_id or "")
                            if (
                                status == "booked"
                                and day == busiest
                                and "consultation" not in sample_ids
                            ):
                                sample_ids["consultation"] = consultation_id
                            if len(buffer) >= 10000:
                                copy.write("\n".join(buffer) + "\n")
                                buffer.clear()
                if buffer:
                    copy.write("\n".join(buffer) + "\n")
            conn.commit()
            log(f"generate: {consultation_id} consultations ({time.monotonic() - started:.0f} s)")
            events_file.seek(0)
            with cursor.copy(plans["event"][0]) as copy:
                while chunk := events_file.read(1 << 20):
                    copy.write(chunk)
            conn.commit()
            events_file.close()
            # Only now, every COPY finished: the sequences follow the ids given.
            for table in ("provider", "patient", "consultation", "consultationevent"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('consultations_{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM consultations_{table}), 1))"
                )
            conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")

    sample_patient = max(range(1, patient_total + 1), key=lambda i: per_patient[i])
    pid, pname, pkind, pnumber = patients[sample_patient - 1]
    surname = name_search_key(pname.split()[-2])
    rng.shuffle(webhook_targets)
    manifest = {
        "consultations": consultation_id,
        "patients": patient_total,
        "providers": PROVIDERS,
        "busiest_day": busiest.isoformat(),
        "busiest_count": counts[days.index(busiest)],
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "consultation_id": sample_ids.get("consultation", 1),
        "patient_id": pid,
        "patient_consultations": per_patient[sample_patient],
        "provider_id": 1,
        "name_term": surname,
        "typeahead_term": surname[:4],
        "document": pnumber,
        "range_from": (busiest - dt.timedelta(days=15)).isoformat(),
        "range_to": (busiest + dt.timedelta(days=15)).isoformat(),
        "desk_users": desk_names,
        "admin_user": admin.username,
        "password": PASSWORD,
        "booking_providers": [p for p in providers if p["id"] <= 40],
        "booking_patients": [
            {
                "id": index,
                "name": name,
                "document_type": kind,
                "document_number": number,
                "phone": f"+57300{index:07d}",
                "email": f"paciente{index}@correo-bench.co",
            }
            for index, name, kind, number in patients[:200]
        ],
        "webhook_targets": webhook_targets,
        "seconds": round(time.monotonic() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    log(f"generate: done in {manifest['seconds']} s")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    args = parser.parse_args(argv)
    generate(args.consultations, args.manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
