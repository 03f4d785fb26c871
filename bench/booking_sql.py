"""`python -m bench.booking_sql --rounds N --first-day YYYY-MM-DD`: the database's share
of a booking, in-process on the database DATABASE_URL names, as `bench-desk-01`: each
round fetches the booking form (untimed), sends it and reads its result page through the
whole middleware stack (django.test.Client), timing every statement and every COMMIT at
the driver. Kairo is the sandbox KAIRO_BASE_URL names, as for the servers. Prints JSON:
the medians per booking, and the part of them that is the session and account reads
every logged-in request makes (which `booking_floor_ratio` already counts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.client import BOOKED, SlotAllocator, booking_choices, form_with  # noqa: E402
from bench.environment import ZONE  # noqa: E402
from bench.stats import summarize  # noqa: E402

# Every logged-in request begins with these two reads (django.contrib.sessions, then the
# account with its language and permissions: consultations/auth_backend.py).
_PER_REQUEST = ('FROM "django_session"', 'FROM "auth_user"')


class _Timer:
    """Milliseconds and count of the statements and COMMITs sent while it is installed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ms = self.per_request_ms = 0.0
        self.statements = self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = (time.perf_counter() - started) * 1000
            self.ms += spent
            self.statements += 1
            if any(table in sql for table in _PER_REQUEST):
                self.per_request_ms += spent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--first-day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--manifest", required=True)
    args = parser.parse_args()
    from django.contrib.auth import get_user_model

    manifest = json.loads(open(args.manifest).read())  # noqa: SIM115, PTH123
    providers, patients = manifest["booking_providers"], manifest["booking_patients"]
    slots = SlotAllocator(ZONE, args.first_day)
    timer = _Timer()
    commit = connection._commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            timer.ms += (time.perf_counter() - started) * 1000
            timer.commits += 1

    connection._commit = timed_commit  # type: ignore[method-assign]
    rows = []
    with override_settings(ALLOWED_HOSTS=["testserver", "127.0.0.1"]):
        client = Client()
        client.force_login(get_user_model().objects.get(username=manifest["desk_users"][0]))
        for i in range(args.rounds + 1):
            provider = providers[i % len(providers)]["id"]
            path = f"/consultations/new/?patient={patients[i % len(patients)]['id']}&provider={provider}"
            form = form_with(client.get(path).content.decode(), "provider")
            fields = dict(form["fields"])
            fields.update(booking_choices(form, provider, slots.take(), 10))
            measured = {}
            with connection.execute_wrapper(timer):
                for step in ("post", "page"):
                    timer.reset()
                    if step == "post":
                        answer = client.post(path, fields)
                        location = answer.get("Location", "")
                        if answer.status_code != 302 or not BOOKED.search(location):
                            raise RuntimeError(f"booking answered {answer.status_code}")
                    elif client.get(location).status_code != 200:
                        raise RuntimeError("the result page did not answer 200")
                    measured[step] = (
                        timer.ms,
                        timer.per_request_ms,
                        timer.statements,
                        timer.commits,
                    )
            if i:  # the first round warms the connection and its prepared statements
                rows.append(measured)
    total = summarize([r["post"][0] + r["page"][0] for r in rows])
    per_request = summarize([r["post"][1] + r["page"][1] for r in rows])
    own = summarize([r["post"][0] + r["page"][0] - r["post"][1] - r["page"][1] for r in rows])
    last = rows[-1]
    print(
        json.dumps(
            {
                "total": total.as_dict(),
                "per_request": per_request.as_dict(),
                "own": own.as_dict(),
                "post_statements": last["post"][2],
                "post_commits": last["post"][3],
                "page_statements": last["page"][2],
                "page_commits": last["page"][3],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
