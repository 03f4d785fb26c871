"""The figures measured over real HTTP against the running servers (`bench.run` starts
them). Each returns `report.Figure`s; a failure becomes the figure's error, never the
end of the run."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

from bench.client import BareKairo, BookingForm, Desk, SlotAllocator, kairo_payload
from bench.pages import LOAD_MIX, PAGES
from bench.report import Figure
from bench.stats import interleave, ratio, summarize

BOOKING_MINUTES = 10


@dataclass
class Target:
    """One running app: its URL and the manifest of the data behind it."""

    url: str
    manifest: dict


def _desk(target: Target, index: int = 0) -> Desk:
    m = target.manifest
    return Desk(target.url, m["desk_users"][index % len(m["desk_users"])], m["password"])


def _admin(target: Target) -> Desk:
    return Desk(target.url, target.manifest["admin_user"], target.manifest["password"])


def booking_overhead(
    target: Target, sandbox: BareKairo, slots: SlotAllocator, rounds: int
) -> list[Figure]:
    """`booking_overhead_ratio`, and beside it what this stack's booking cannot go
    below: `booking_floor_ratio`, the bare POST plus two logged-in requests that do next
    to nothing (the status poll, one indexed row), the two requests a booking takes (its
    POST and the result page it redirects to). All three are measured in turns."""
    desk = _desk(target)
    m = target.manifest
    providers, patients = m["booking_providers"], m["booking_patients"]
    desk_ms: list[float] = []
    bare_ms: list[float] = []
    two_ms: list[float] = []

    def desk_once(i: int) -> float:
        form = BookingForm(
            desk, providers[i % len(providers)]["id"], patients[i % len(patients)]["id"]
        )
        when = slots.take()
        started = time.perf_counter()
        form.send(when, BOOKING_MINUTES)
        return (time.perf_counter() - started) * 1000

    def bare_once(i: int) -> float:
        payload = kairo_payload(
            providers[i % len(providers)],
            patients[i % len(patients)],
            slots.take(),
            BOOKING_MINUTES,
        )
        started = time.perf_counter()
        sandbox.post(payload)
        return (time.perf_counter() - started) * 1000

    def two_requests_once(_i: int) -> float:
        started = time.perf_counter()
        for _ in range(2):
            desk.get(STATUS_POLL)
        return (time.perf_counter() - started) * 1000

    desk_once(0)
    bare_once(0)  # warm-up: connections, the first page's caches
    two_requests_once(0)
    steps = ((desk_ms, desk_once), (bare_ms, bare_once), (two_ms, two_requests_once))
    for i in range(1, rounds + 1):
        for samples, step in steps if i % 2 else steps[::-1]:
            samples.append(step(i))
    d, b, two = summarize(desk_ms), summarize(bare_ms), summarize(two_ms)
    allowed = 0.25 * b.median
    return [
        Figure(
            "booking_overhead_ratio",
            ratio(d.median, b.median),
            op="<=",
            limit=1.25,
            samples={"desk": d, "bare": b},
            note=f"the desk's {d.median - b.median:.1f} ms over the bare POST, against "
            f"{allowed:.1f} ms allowed",
        ),
        Figure(
            "booking_floor_ratio",
            ratio(b.median + two.median, b.median),
            samples={"two_requests": two},
            note=f"two logged-in status polls take {two.median:.1f} ms of the "
            f"{allowed:.1f} ms the target allows, before any booking work",
        ),
    ]


# The lightest logged-in request: the live status of one consultation (a generated one).
STATUS_POLL = "/consultations/status.json?ids=1"


def scale_ratios(small: Target, large: Target, rounds: int) -> list[Figure]:
    sessions = {
        "small": (_desk(small), _admin(small), small.manifest),
        "large": (_desk(large), _admin(large), large.manifest),
    }
    figures = []
    for name, build in PAGES.items():
        try:
            actions = {size: build(*sessions[size]) for size in ("small", "large")}
            # Warm-up; the pages' sizes say how much more the large one shows.
            kilobytes = {
                size: len(getattr(action(), "content", b"")) / 1000
                for size, action in actions.items()
            }
            samples = interleave(actions, rounds)
            s, lg = summarize(samples["small"]), summarize(samples["large"])
            figures.append(
                Figure(
                    f"scale_ratio_{name}",
                    ratio(lg.median, s.median),
                    op="<=",
                    limit=1.5,
                    samples={"small": s, "large": lg},
                    note=f"page {kilobytes['small']:.1f} kB small, {kilobytes['large']:.1f} kB large",
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported as the figure's error
            figures.append(
                Figure(f"scale_ratio_{name}", None, op="<=", limit=1.5, error=str(exc)[:300])
            )
    return figures


def _export(desk: Desk, query: str, cap_seconds: float) -> tuple[int, float, bool]:
    """(rows, ms, complete): an export still streaming after `cap_seconds` is cut
    there, its rate then measured on the rows received."""
    started = time.perf_counter()
    answer = desk.http.get(
        f"{desk.base}/consultations/export.csv?{query}", stream=True, timeout=120
    )
    if answer.status_code != 200 or "csv" not in answer.headers.get("Content-Type", ""):
        raise RuntimeError(
            f"export answered {answer.status_code} {answer.headers.get('Content-Type')}"
        )
    lines = 0
    for chunk in answer.iter_content(chunk_size=1 << 16):
        lines += chunk.count(b"\n")
        if time.perf_counter() - started > cap_seconds:
            answer.close()
            return max(lines - 1, 0), (time.perf_counter() - started) * 1000, False
    return max(lines - 1, 0), (time.perf_counter() - started) * 1000, True


def export(large: Target, runs: int, cap_seconds: float) -> list[Figure]:
    desk = _desk(large)
    figures = []
    try:
        results = []
        started = time.perf_counter()
        # A long export is repeated only while the runs together stay within two minutes.
        while len(results) < runs and (not results or time.perf_counter() - started < 120):
            results.append(_export(desk, "format=csv", cap_seconds))
        per_k = [ms / max(rows, 1) * 1000 for rows, ms, _complete in results]
        s = summarize(per_k)
        total = summarize([ms for _rows, ms, _complete in results]).median
        cut = "" if results[0][2] else f", cut after {cap_seconds:.0f} s (BENCH_EXPORT_CAP)"
        figures.append(
            Figure(
                "export_ms_per_1000_rows",
                s.median,
                unit="ms",
                op="<=",
                limit=50,
                samples={"ms_per_1000_rows": s},
                note=f"{results[0][0]} rows (every consultation{cut}), total median {total:.0f} ms",
            )
        )
    except Exception as exc:  # noqa: BLE001
        figures.append(
            Figure(
                "export_ms_per_1000_rows", None, unit="ms", op="<=", limit=50, error=str(exc)[:300]
            )
        )
    try:
        m = large.manifest
        query = f"date_from={m['range_from']}&date_to={m['range_to']}&format=csv"
        results = [_export(desk, query, cap_seconds) for _ in range(max(runs, 3))]
        s = summarize([ms for _rows, ms, _complete in results])
        figures.append(
            Figure(
                "export_one_month_ms",
                s.median,
                unit="ms",
                samples={"total": s},
                note=f"{results[0][0]} rows ({m['range_from']} to {m['range_to']}), "
                f"{s.median / max(results[0][0], 1) * 1000:.1f} ms per 1,000 rows",
            )
        )
    except Exception as exc:  # noqa: BLE001
        figures.append(Figure("export_one_month_ms", None, unit="ms", error=str(exc)[:300]))
    return figures


class _Receptionist:
    """One simulated receptionist: a session, the pages ready, a booking now and then."""

    def __init__(self, target: Target, index: int, slots: SlotAllocator, seed: int) -> None:
        self.desk = _desk(target, index)
        self.admin = self.desk  # the load mix has no admin page
        self.manifest = target.manifest
        self.actions = {
            name: PAGES[name](self.desk, self.desk, self.manifest)
            for name in LOAD_MIX
            if name != "booking"
        }
        self.slots = slots
        self.rng = random.Random(seed)
        self.names = list(LOAD_MIX)
        self.weights = [LOAD_MIX[n] for n in self.names]
        self.bookings = 0

    def step(self) -> tuple[str, float]:
        name = self.rng.choices(self.names, self.weights)[0]
        if name == "booking":
            m = self.manifest
            provider = self.rng.choice(m["booking_providers"])["id"]
            patient = self.rng.choice(m["booking_patients"])["id"]
            form = BookingForm(self.desk, provider, patient)
            when = self.slots.take()
            started = time.perf_counter()
            form.send(when, BOOKING_MINUTES)
        else:
            started = time.perf_counter()
            self.actions[name]()
        return name, (time.perf_counter() - started) * 1000


def _run_load(people: list[_Receptionist], seconds: float, think: tuple[float, float] | None):
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(person: _Receptionist) -> None:
        while time.perf_counter() < deadline:
            try:
                _name, ms = person.step()
                with lock:
                    latencies.append(ms)
            except Exception as exc:  # noqa: BLE001 - counted as an error of the run
                with lock:
                    errors.append(str(exc)[:200])
            if think:
                time.sleep(person.rng.uniform(*think))  # a receptionist's think time

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def load(
    large: Target,
    slots: SlotAllocator,
    users: int,
    seconds: float,
    saturation_seconds: float,
    unloaded_requests: int,
) -> list[Figure]:
    people = [_Receptionist(large, i, slots, seed=1000 + i) for i in range(users)]
    for person in people:
        for action in person.actions.values():
            action()  # warm-up, and every form fetched before timing
    alone = people[0]
    unloaded = []
    for _ in range(unloaded_requests):
        unloaded.append(alone.step()[1])
    latencies, errors, _elapsed = _run_load(people, seconds, think=(2.0, 5.0))
    u, loaded = summarize(unloaded), summarize(latencies) if latencies else None
    figures = [
        Figure(
            "load_p95_ratio",
            ratio(loaded.p95, u.p95) if loaded else None,
            op="<=",
            limit=2.0,
            samples={"unloaded": u, **({"loaded": loaded} if loaded else {})},
            note=f"{users} receptionists, think time 2-5 s, {seconds:.0f} s",
        ),
        Figure(
            "load_errors",
            float(len(errors)),
            unit="errors",
            op="<=",
            limit=0,
            note="; ".join(sorted(set(errors))[:3]),
        ),
    ]
    done, sat_errors, elapsed = _run_load(people, saturation_seconds, think=None)
    cores = os.cpu_count() or 1
    figures.append(
        Figure(
            "saturation_requests_per_second_per_core",
            len(done) / elapsed / cores,
            unit="req/s/core",
            op=">=",
            limit=12,
            samples={"latency": summarize(done)} if done else {},
            note=f"{users} clients without think time for {elapsed:.0f} s, {cores} cores, "
            f"{len(sat_errors)} errors (client and servers share the machine)",
        )
    )
    return figures


def webhooks(large: Target, secret: str, deliveries: int, senders: int, db_conninfo: str) -> Figure:
    import psycopg

    # The senders share the machine with the servers (Kairo's would not): they speak
    # HTTP through urllib3's pool directly, without requests' per-call work, so less of
    # their own CPU time is measured as the receiver's. The health check, the ratio's
    # denominator, goes through the same pool.
    address = urlsplit(large.url)
    http = urllib3.HTTPConnectionPool(
        address.hostname, address.port, maxsize=senders, block=True, timeout=60, retries=False
    )
    health_ms = []
    for _ in range(31):
        started = time.perf_counter()
        answer = http.request("GET", "/health/")
        health_ms.append((time.perf_counter() - started) * 1000)
        if answer.status != 200:
            raise RuntimeError(f"/health/ answered {answer.status}")
    health_ms = health_ms[1:]
    rng = random.Random(7)
    unique = deliveries - deliveries // 10
    targets = large.manifest["webhook_targets"]
    bodies = []
    for n in range(unique):
        body = {
            "event": "session_started",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "organizationId": "bench-org",
            "data": {
                "consultationId": targets[n % len(targets)],
                "participant": "patient",
                "status": "InProgress",
            },
            "version": "v1",
        }
        bodies.append(
            (f"bench-{uuid.UUID(int=rng.getrandbits(128), version=4)}", json.dumps(body).encode())
        )
    sends = list(bodies)
    for original in rng.sample(range(unique), deliveries - unique):
        sends.insert(rng.randrange(original + 1, len(sends) + 1), bodies[original])
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        before = conn.execute(
            "SELECT count(*) FROM consultations_consultationevent WHERE kind = 'webhook'"
        ).fetchone()[0]
    statuses: list[int] = []

    def send(item: tuple[str, bytes]) -> float:
        delivery, raw = item
        headers = {
            "X-Telehealth-Signature": hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
            "X-Telehealth-Event": "session_started",
            "X-Telehealth-Delivery": delivery,
            "User-Agent": "Telehealth-Webhooks/1.0",
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        answer = http.request("POST", "/kairo/webhooks/", body=raw, headers=headers)
        statuses.append(answer.status)
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=senders) as pool:
        latencies = list(pool.map(send, sends))
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE outcome = 'applied') FROM "
            "consultations_webhookdelivery WHERE delivery_id LIKE 'bench-%%'"
        ).fetchone()
        after = conn.execute(
            "SELECT count(*) FROM consultations_consultationevent WHERE kind = 'webhook'"
        ).fetchone()[0]
    h, w = summarize(health_ms), summarize(latencies)
    bad = sum(1 for s in statuses if s != 200)
    exact = rows[0] == unique and rows[1] == unique and after - before == unique
    figure = Figure(
        "webhook_p95_ratio",
        ratio(w.p95, h.median),
        op="<=",
        limit=5.0,
        samples={"webhook": w, "health_unloaded": h},
        note=f"{deliveries} deliveries ({deliveries - unique} repeats), {senders} senders; "
        f"{rows[0]} delivery rows, {rows[1]} applied, {after - before} timeline events "
        f"for {unique} distinct; {bad} non-200",
    )
    if not exact or bad:
        figure.error = "not every delivery applied exactly once (see note)"
    return figure
