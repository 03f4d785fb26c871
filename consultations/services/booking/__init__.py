"""Booking a consultation with Kairo Connect: `consultation_book`.

The shape of `consultation_book`:

1. One short transaction (IMMEDIATE on SQLite, so check-then-insert cannot interleave;
   on PostgreSQL the exclusion constraints refuse what slips through): upsert the
   patient, check the rules again, insert the consultation in state *sending* with the
   exact body for Kairo, and a timeline event. Commit.
2. Call Kairo with no transaction open and no lock held.
3. Record the outcome with its requestId in a second short transaction.

A POST that may have reached Kairo is never re-sent: an unknown outcome leaves the
booking *unconfirmed* with its slot held, for a person, the webhook or a refresh to
settle. `lifecycle.consultations_sweep_stuck` finds bookings a crashed process left
*sending*.

A package (house style: past ~400 lines): `workflow` the three steps in order
(`consultation_book`, retrying a step the database aborted, and step 3 on a new
connection after the old one dropped), `start` step 1 (claiming
the slot), `kairo_request` our rows as the client's typed request, `outcomes` step 3
(recording Kairo's answer), `answer_spool` Kairo's answer kept on local disk when step 3
cannot record it, and recorded from there by the sweep.
"""

from consultations.services.booking.kairo_request import kairo_request_build
from consultations.services.booking.outcomes import booked_record, refused_record, unknown_record
from consultations.services.booking.start import booking_start
from consultations.services.booking.workflow import (
    BookingNotSent,
    BookingRefused,
    BookingUnrecorded,
    consultation_book,
    consultation_book_sent,
)

__all__ = [
    "BookingNotSent",
    "BookingRefused",
    "BookingUnrecorded",
    "booked_record",
    "booking_start",
    "consultation_book",
    "consultation_book_sent",
    "kairo_request_build",
    "refused_record",
    "unknown_record",
]
