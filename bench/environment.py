"""Where the harness runs: its modes (sizes and durations), the PostgreSQL it uses, the
servers' environment, and the machine's description for the results."""

from __future__ import annotations

import datetime as dt
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
API_KEY, API_SECRET = "bench-api-key", "bench-api-secret"  # noqa: S105 - loopback sandbox only
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105
ZONE = "America/Bogota"


@dataclass(frozen=True)
class Mode:
    small: int
    large: int
    booking_rounds: int
    page_rounds: int
    load_users: int
    load_seconds: float
    saturation_seconds: float
    unloaded_requests: int
    webhook_deliveries: int
    import_rows: int
    export_runs: int
    admin_rounds: int


MODES = {
    "full": Mode(1_000, 1_000_000, 30, 15, 20, 60, 20, 80, 2000, 60_000, 3, 10),
    "quick": Mode(1_000, 30_000, 6, 4, 20, 12, 6, 25, 300, 3_000, 1, 4),
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(flags: str, sql: str) -> list[str]:
    """psql on the server's `postgres` database, as the harness's PostgreSQL user."""
    return [
        "psql",
        "-h",
        PG["host"],
        "-p",
        PG["port"],
        "-U",
        PG["user"],
        "-d",
        "postgres",
        flags,
        sql,
    ]


def psql(sql: str) -> None:
    subprocess.run(_psql("-qc", sql), check=True, stdout=subprocess.DEVNULL)


PG = {
    "host": os.environ.get("BENCH_PGHOST", "127.0.0.1"),
    "port": os.environ.get("BENCH_PGPORT", "5432"),
    "user": os.environ.get("BENCH_PGUSER", "postgres"),
}


def db_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def db_conninfo(name: str) -> str:
    return f"host={PG['host']} port={PG['port']} user={PG['user']} dbname={name}"


def app_env(*, database: str, port: int, sandbox_port: int, secret_key: str) -> dict[str, str]:
    """`make serve`'s environment (Makefile SERVE_ENV) with the standalone sandbox:
    debug off, plain HTTP on loopback, training mode (consultations/checks.py
    accepts it as a local trial), non-default Kairo credentials (E003)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KAIRO_", "GUNICORN_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DATABASE_URL=db_url(database),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        TASKS_BACKEND="database",
        KAIRO_TRAINING_MODE="1",
        SITE_URL=f"http://127.0.0.1:{port}",
        KAIRO_BASE_URL=f"http://127.0.0.1:{sandbox_port}",
        KAIRO_API_KEY=API_KEY,
        KAIRO_API_SECRET=API_SECRET,
        KAIRO_WEBHOOK_SECRET=WEBHOOK_SECRET,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        PYTHONPATH=str(ROOT),
    )
    if os.environ.get("BENCH_GUNICORN_WORKERS"):
        env["GUNICORN_WORKERS"] = os.environ["BENCH_GUNICORN_WORKERS"]
    return env


def machine_meta(mode_name: str, mode: Mode, manifests: dict[str, dict]) -> dict:
    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pg = subprocess.run(
        _psql("-Atc", "SHOW server_version"),
        capture_output=True,
        text=True,
    ).stdout.strip()

    def shape(size: str) -> str:
        m = manifests.get(size)
        if not m:
            return f"{getattr(mode, size)} consultations (not generated)"
        return (
            f"{m['consultations']} consultations, {m['patients']} patients, {m['providers']} providers, "
            f"busiest day {m['busiest_count']}, generated in {m.get('generate_seconds')} s"
        )

    workers = os.environ.get("BENCH_GUNICORN_WORKERS", "the settings' default")
    return {
        "mode": mode_name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "postgres": pg,
        "small": shape("small"),
        "large": shape("large"),
        "gunicorn": f"GUNICORN_WORKERS={workers}, gthread",
        "latency_ms": 100,
    }


def replace_mode(mode: Mode, **changes: int) -> Mode:
    from dataclasses import replace

    return replace(mode, **changes)
