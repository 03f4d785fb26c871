"""Stand-ins for the Kairo client, which the services take as `client=`."""

from __future__ import annotations

import datetime as dt

from tests.factories import remote_consultation


class MovingKairo:
    """GET detail answers Pending, at `scheduled_at`, for any consultation."""

    def __init__(self, scheduled_at: dt.datetime) -> None:
        self.scheduled_at = scheduled_at

    def get_consultation(self, consultation_id):
        return remote_consultation(consultation_id=consultation_id, scheduled_at=self.scheduled_at)
