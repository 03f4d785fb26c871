"""`python manage.py kairo_sandbox`: the Kairo Connect sandbox as a real HTTP server."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from consultations.kairo.sandbox import KairoSandbox, SandboxHTTPServer, is_loopback_host


class Command(BaseCommand):
    help = (
        "Serve the contract-faithful Kairo Connect sandbox over HTTP. State is held in "
        "memory until the process stops, unless a state file keeps it. Point "
        "KAIRO_BASE_URL at the printed address."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (loopback).")
        parser.add_argument("--port", type=int, default=8765, help="Port (0 = any free port).")
        # Left unset, these come from the KAIRO_SANDBOX_* settings (from_settings()).
        parser.add_argument(
            "--latency-ms",
            type=int,
            default=None,
            help="Delay every answer by this many milliseconds "
            "(default: KAIRO_SANDBOX_LATENCY_MS).",
        )
        parser.add_argument(
            "--webhook-url",
            default=None,
            help="Deliver signed webhooks here (default: KAIRO_SANDBOX_WEBHOOK_URL).",
        )
        parser.add_argument(
            "--webhook-secret",
            default=None,
            help="Secret to sign webhooks with (default: KAIRO_SANDBOX_WEBHOOK_SECRET).",
        )
        parser.add_argument(
            "--state-file",
            default=None,
            help="Keep consultations and providers in this file across restarts "
            "(default: KAIRO_SANDBOX_STATE_FILE; empty = memory only).",
        )
        parser.add_argument(
            "--timeout-fault-seconds",
            type=float,
            default=max(60.0, settings.KAIRO_TIMEOUT * 2),
            help="How long the 'timeout' fault withholds its answer.",
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=None,
            help="Requests per hour before 429 RATE_LIMITED (default: KAIRO_SANDBOX_RATE_LIMIT).",
        )

    def handle(self, *args, **options) -> None:
        given = {
            "latency_ms": options["latency_ms"],
            "rate_limit": options["rate_limit"],
            "webhook_url": options["webhook_url"],
            "webhook_secret": options["webhook_secret"],
            "state_file": options["state_file"],
        }
        sandbox = KairoSandbox.from_settings(
            **{name: value for name, value in given.items() if value is not None}
        )
        # Whichever way the URL and secret arrived (options or settings), webhooks are
        # signed: an empty secret would sign with a key anyone can guess.
        if sandbox.webhooks.enabled and not sandbox.webhooks.secret:
            sandbox.webhooks.close()
            raise CommandError(
                "Webhooks need a secret: pass --webhook-secret or set KAIRO_SANDBOX_WEBHOOK_SECRET."
            )
        try:
            server = SandboxHTTPServer(
                sandbox,
                host=options["host"],
                port=options["port"],
                timeout_fault_seconds=options["timeout_fault_seconds"],
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        if not is_loopback_host(options["host"]):
            self.stderr.write(
                self.style.WARNING(
                    "Warning: the sandbox accepts the sandbox credentials and has control "
                    "endpoints; do not expose it beyond this machine."
                )
            )
        # The first line is machine-read by the test suite: keep its shape.
        self.stdout.write(f"Kairo Connect sandbox listening on {server.base_url}")
        self.stdout.write(
            f"Organization time zone {sandbox.timezone.key}; latency {sandbox.latency_ms} ms; "
            f"webhooks {'to ' + sandbox.webhooks.url if sandbox.webhooks.enabled else 'off'}. "
            + (
                f"State kept in {sandbox.state_file}. "
                if sandbox.state_file
                else "State is in memory only. "
            )
            + "Ctrl-C to stop."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
