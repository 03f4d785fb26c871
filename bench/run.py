"""`python -m bench.run --mode full|quick --out DIR`: the whole harness (`make bench`,
`make bench-quick`). It creates two PostgreSQL databases (small and large), migrates
them, loads the catalogs, generates the data (`bench.generate`), starts the standalone
Kairo sandbox with 100 ms of latency and one gunicorn per database as production runs
it (gunicorn.conf.py, debug off, `make serve`'s environment with training mode on
loopback), measures (`bench.measure`), writes results.json and RESULTS.md, and stops
every process and drops the databases at the end, even on error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

import requests

from bench.client import BareKairo, SlotAllocator
from bench.environment import (
    API_KEY,
    API_SECRET,
    MODES,
    PYTHON,
    ROOT,
    WEBHOOK_SECRET,
    ZONE,
    app_env,
    db_conninfo,
    db_url,
    free_port,
    log,
    machine_meta,
    psql,
    replace_mode,
)
from bench.report import Figure, write_results
from bench.stats import Summary


class Harness:
    def __init__(self, mode_name: str, out: Path, prefix: str) -> None:
        self.mode_name = mode_name
        self.mode = MODES[mode_name]
        if os.environ.get("BENCH_SMALL"):
            self.mode = replace_mode(self.mode, small=int(os.environ["BENCH_SMALL"]))
        if os.environ.get("BENCH_LARGE"):
            self.mode = replace_mode(self.mode, large=int(os.environ["BENCH_LARGE"]))
        self.out = out
        self.logs = out / "logs"
        self.dbs = {"small": f"{prefix}_{mode_name}_small", "large": f"{prefix}_{mode_name}_large"}
        self.processes: list[subprocess.Popen] = []
        self.secret_key = secrets.token_urlsafe(50)
        self.sandbox_port = free_port()
        self.ports = {size: free_port() for size in self.dbs}
        self.manifests: dict[str, dict] = {}
        self.figures: list[Figure] = []

    # --- Environment -------------------------------------------------------------------------

    def app_env(self, size: str) -> dict[str, str]:
        return app_env(
            database=self.dbs[size],
            port=self.ports[size],
            sandbox_port=self.sandbox_port,
            secret_key=self.secret_key,
        )

    def manage(self, size: str, *args: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.app_env(size),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        handle = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    # --- Steps --------------------------------------------------------------------------------

    def prepare(self) -> None:
        for name in self.dbs.values():
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            psql(f'CREATE DATABASE "{name}"')
        # As `make serve` does: debug off serves the collected, hashed static files.
        self.manage("small", "collectstatic", "--noinput", "-v0")
        for size in self.dbs:
            count = getattr(self.mode, size)
            log(f"{size}: migrate, catalogs, {count} consultations")
            self.manage(size, "migrate", "--noinput", "-v0")
            self.manage(size, "load_catalogs")
            manifest = self.out / "logs" / f"manifest-{size}.json"
            manifest.parent.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "bench.generate",
                    "--consultations",
                    str(count),
                    "--manifest",
                    str(manifest),
                ],
                cwd=ROOT,
                env=self.app_env(size),
                check=True,
            )
            self.manifests[size] = json.loads(manifest.read_text())
            self.manifests[size]["generate_seconds"] = round(time.monotonic() - started, 1)

    def serve(self) -> None:
        sandbox_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KAIRO_"))
        }
        sandbox_env.update(
            KAIRO_SANDBOX_API_KEY=API_KEY,
            KAIRO_SANDBOX_API_SECRET=API_SECRET,
            KAIRO_SANDBOX_WEBHOOK_URL="",
            DATABASE_URL=db_url(self.dbs["small"]),
        )
        self.start(
            "sandbox",
            [
                PYTHON,
                "manage.py",
                "kairo_sandbox",
                "--port",
                str(self.sandbox_port),
                "--latency-ms",
                "100",
                "--rate-limit",
                "10000000",
            ],
            sandbox_env,
        )
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        for size in self.dbs:
            self.start(
                f"gunicorn-{size}",
                [gunicorn, "-c", "gunicorn.conf.py", "clinic.wsgi:application"],
                self.app_env(size),
            )
        deadline = time.monotonic() + 60
        urls = [f"http://127.0.0.1:{p}/health/" for p in self.ports.values()]
        while urls:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a server stopped at startup (see {self.logs})")
            try:
                if requests.get(urls[0], timeout=5).status_code == 200:
                    urls.pop(0)
                    continue
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"servers not up after 60 s (see {self.logs})")
            time.sleep(0.3)
        # The sandbox answers with latency; its port accepting is enough.
        with socket.create_connection(("127.0.0.1", self.sandbox_port), timeout=10):
            pass
        log("servers up")

    def measure(self) -> None:
        from bench import measure as m

        small = m.Target(f"http://127.0.0.1:{self.ports['small']}", self.manifests["small"])
        large = m.Target(f"http://127.0.0.1:{self.ports['large']}", self.manifests["large"])
        first_day = dt.date.today() + dt.timedelta(days=3)
        slots = SlotAllocator(ZONE, first_day)
        bare = BareKairo(f"http://127.0.0.1:{self.sandbox_port}", API_KEY, API_SECRET)
        mode = self.mode
        steps = [
            ("booking", lambda: m.booking_overhead(large, bare, slots, mode.booking_rounds)),
            ("booking_sql", lambda: [self.booking_sql(first_day + dt.timedelta(days=200))]),
            ("pages", lambda: m.scale_ratios(small, large, mode.page_rounds)),
            (
                "export",
                lambda: m.export(
                    large, mode.export_runs, float(os.environ.get("BENCH_EXPORT_CAP", 300))
                ),
            ),
            ("admin", lambda: self.admin_vs_desk()),
            (
                "load",
                lambda: m.load(
                    large,
                    slots,
                    mode.load_users,
                    mode.load_seconds,
                    mode.saturation_seconds,
                    mode.unloaded_requests,
                ),
            ),
            (
                "webhooks",
                lambda: [
                    m.webhooks(
                        large,
                        WEBHOOK_SECRET,
                        mode.webhook_deliveries,
                        10,
                        db_conninfo(self.dbs["large"]),
                    )
                ],
            ),
        ]
        names = {
            "booking": ("booking_overhead_ratio", "<=", 1.25),
            "booking_sql": ("booking_sql_ms", None, None),
            "export": ("export_ms_per_1000_rows", "<=", 50),
            "admin": ("admin_vs_desk_ratio", None, None),
            "load": ("load_p95_ratio", "<=", 2.0),
            "webhooks": ("webhook_p95_ratio", "<=", 5.0),
            "pages": ("scale_ratio_pages", "<=", 1.5),
        }
        for step, run in steps:
            log(f"measuring {step}")
            try:
                self.figures.extend(run())
            except Exception as exc:  # noqa: BLE001 - the figure reports it, the run goes on
                traceback.print_exc()
                name, op, limit = names[step]
                detail = getattr(exc, "stderr", None) or ""
                error = f"{exc} {detail.strip().splitlines()[-1] if detail.strip() else ''}"
                self.figures.append(Figure(name, None, op=op, limit=limit, error=error[:400]))

    def in_process(self, size: str, module: str, *args: str, timeout: float | None = None) -> dict:
        """Run `python -m module args` on `size`'s database and environment; the JSON
        object its last line prints."""
        answer = subprocess.run(
            [PYTHON, "-m", module, *args],
            cwd=ROOT,
            env=self.app_env(size),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return json.loads(answer.stdout.strip().splitlines()[-1])

    def booking_sql(self, first_day: dt.date) -> Figure:
        """The database's share of a booking at large (`bench.booking_sql`), its bookings
        on days of their own, far from the harness's other ones."""
        data = self.in_process(
            "large",
            "bench.booking_sql",
            "--rounds",
            str(self.mode.booking_rounds),
            "--first-day",
            first_day.isoformat(),
            "--manifest",
            str(self.logs / "manifest-large.json"),
        )
        own = data["own"]
        return Figure(
            "booking_sql_ms",
            own["median"],
            unit="ms",
            samples=_summaries(data, "own", "per_request"),
            note=f"in-process at large: the booking's POST ({data['post_statements']} statements, "
            f"{data['post_commits']} COMMITs) and result page ({data['page_statements']} "
            "statements) at the driver, less the session and account reads of each request "
            "(per_request, already in booking_floor_ratio)",
        )

    def admin_vs_desk(self) -> list[Figure]:
        figures = []
        for label, query in (("", ""), ("_search", self.manifests["large"]["name_term"])):
            data = self.in_process(
                "large",
                "bench.admin_stock",
                "--rounds",
                str(self.mode.admin_rounds),
                "--query",
                query,
            )
            figures.append(
                Figure(
                    f"admin_vs_desk_ratio{label}",
                    data["ratio"],
                    samples=_summaries(data, "stock", "tuned"),
                    note="stock ModelAdmin over the app's admin, in-process, large data",
                )
            )
        return figures

    def import_figure(self) -> Figure:
        rows = self.mode.import_rows
        try:
            data = self.in_process(
                "small",
                "bench.import_catalog",
                "--rows",
                str(rows),
                timeout=float(os.environ.get("BENCH_IMPORT_CAP", 900)),
            )
            figure = Figure(
                "import_ms_per_1000_rows",
                data["ms"] / rows * 1000,
                unit="ms",
                op="<=",
                limit=200,
                note=f"{rows} rows in {data['ms']:.0f} ms: {data['summary']}",
            )
            if data["rejected"] or data["file_error"]:
                figure.error = "the import did not take every row"
            return figure
        except subprocess.TimeoutExpired as exc:
            return Figure(
                "import_ms_per_1000_rows",
                None,
                unit="ms",
                op="<=",
                limit=200,
                error=f"{rows} rows not imported within {exc.timeout:.0f} s",
            )
        except Exception as exc:  # noqa: BLE001
            return Figure(
                "import_ms_per_1000_rows", None, unit="ms", op="<=", limit=200, error=str(exc)[:300]
            )

    def suite_figure(self) -> Figure:
        if os.environ.get("BENCH_SUITE") == "1":
            started = time.monotonic()
            subprocess.run(["make", "test"], cwd=ROOT, check=False)
            seconds = time.monotonic() - started
            return Figure(
                "test_suite_seconds", seconds, unit="s", note="measured now (BENCH_SUITE=1)"
            )
        source = ROOT / "artifacts" / "test-suite-seconds.txt"
        if source.is_file():
            stamp = dt.datetime.fromtimestamp(source.stat().st_mtime, dt.UTC).strftime(
                "%Y-%m-%d %H:%M UTC"
            )
            return Figure(
                "test_suite_seconds",
                float(source.read_text().strip()),
                unit="s",
                note=f"from artifacts/test-suite-seconds.txt (.ci/run, {stamp})",
            )
        return Figure(
            "test_suite_seconds",
            None,
            unit="s",
            note="not measured: no artifacts/test-suite-seconds.txt (run .ci/run, or BENCH_SUITE=1)",
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def drop(self) -> None:
        for name in self.dbs.values():
            try:
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except subprocess.CalledProcessError:
                log(f"could not drop {name}")

    def meta(self) -> dict:
        return machine_meta(self.mode_name, self.mode, self.manifests)


def _summaries(data: dict, *keys: str) -> dict[str, Summary]:
    return {key: Summary(data[key]["median"], data[key]["p95"], data[key]["runs"]) for key in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=list(MODES), default="full")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--prefix", default=os.environ.get("BENCH_DB_PREFIX", "bench"))
    args = parser.parse_args(argv)
    harness = Harness(args.mode, args.out.resolve(), args.prefix)
    status = 0
    started = time.monotonic()
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so the finally below still cleans up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        harness.prepare()
        harness.serve()
        harness.measure()
        harness.stop()
        harness.figures.append(harness.import_figure())
        harness.figures.append(harness.suite_figure())
    except BaseException as exc:  # noqa: BLE001 - reported, then cleaned up
        traceback.print_exc()
        harness.figures.append(Figure("harness", None, error=f"{type(exc).__name__}: {exc}"[:300]))
        status = 1
    finally:
        harness.stop()
        harness.drop()
        write_results(args.out.resolve(), harness.meta(), harness.figures)
        # A figure that could not be measured is a broken harness (or a page that
        # failed); a figure that misses its target is not.
        if any(figure.error for figure in harness.figures):
            status = 1
        log(f"results in {args.out} ({time.monotonic() - started:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
