"""The shape of the generated data: sizes, names, how many consultations each day gets,
and which status a consultation has (`bench.generate` writes the rows)."""

from __future__ import annotations

import datetime as dt
import random

PROVIDERS = 200
PATIENTS_PER_CONSULTATION = 0.05  # 50,000 patients for 1,000,000 consultations
DAYS = 730  # two years: most of it past, the rest ahead
DAYS_AHEAD = 120
BUSIEST_SHARE = 1800 / 1_000_000  # the busiest day's consultations, of the total
DAY_STARTS = dt.time(7, 0)
DAY_UNITS = 144  # 12 hours of 5-minute units
DURATIONS = (10, 15, 20, 25, 30, 30, 30, 40, 45, 60)
PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway bench databases only
DESK_USERS = 20
SEED = 20261207

FIRST = (
    "María José Ana Lucía Camila Valentina Sofía Daniela Isabel Paula Juan Carlos Andrés "
    "Luis Jorge Santiago Sebastián Mateo Nicolás Diego Alejandro Felipe Óscar Iván Ramón "
    "Ángela Mónica Natalia Verónica Beatriz"
).split()
LAST = (
    "García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez Torres Flórez "
    "Díaz Vargas Rojas Moreno Jiménez Muñoz Castro Ortiz Gómez Rincón Suárez Peña Ríos "
    "Ospina Cárdenas Zuluaga Londoño Quintero Beltrán Núñez Acosta Mejía Córdoba Salazar"
).split()


def ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S+00")


def null(value: object) -> str:
    return "\\N" if value is None else str(value)


def day_counts(total: int, days: list[dt.date], busiest: dt.date, rng: random.Random) -> list[int]:
    """Consultations per day: the busiest day's share, the rest by weekday with noise,
    none above the busiest day."""
    top = max(1, round(total * BUSIEST_SHARE)) if total >= 1000 else max(1, total // 100)
    weights = []
    for day in days:
        base = {5: 0.7, 6: 0.4}.get(day.weekday(), 1.0)
        weights.append(0.0 if day == busiest else base * rng.uniform(0.85, 1.0))
    rest = total - top
    scale = rest / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[days.index(busiest)] = top
    missing = total - sum(counts)
    order = sorted(range(len(days)), key=lambda i: counts[i])
    cap = top - 1
    while missing > 0:
        progressed = False
        for index in order:
            if missing and days[index] != busiest and counts[index] < cap:
                counts[index] += 1
                missing -= 1
                progressed = True
        if not progressed:
            cap += 1  # tiny totals: a tie with the busiest day rather than no answer
    return counts


def status_for(starts: dt.datetime, ends: dt.datetime, now: dt.datetime, roll: float) -> str:
    if ends <= now:
        if roll < 0.72:
            return "completed"
        if roll < 0.86:
            return "expired"
        if roll < 0.96:
            return "cancelled"
        return "rejected"
    if starts <= now:
        return "in_progress"
    if roll < 0.87:
        return "booked"
    if roll < 0.97:
        return "cancelled"
    return "unconfirmed"


KAIRO_STATUS = {
    "completed": "Completed",
    "expired": "Expired",
    "in_progress": "InProgress",
    "booked": "Pending",
    "rejected": "",
    "unconfirmed": "",
}
