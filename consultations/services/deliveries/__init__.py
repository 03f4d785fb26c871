"""Email deliveries: schedule them, send one attempt, retry, resend, remind.

The shape: every message is a delivery staff can see, from *queued* to *sent* or
*failed*:

- A message we owe is first a `Delivery` row, *queued*, written in the same transaction
  as the change that calls for it (a booking confirmed, a Resend, a reminder coming due).
  Its send task is enqueued only when that transaction commits: a rolled-back booking
  sends nothing, and the receptionist's request never talks to the mail server.
- `delivery_send` makes one attempt. It claims the row with one conditional UPDATE
  (queued and due -> sending), so two workers holding the same task never both send.
  A failure is recorded with a safe error and retried after EMAIL_RETRY_DELAYS_SECONDS
  (1 min, 5 min, 30 min, 2 h), then the delivery is *failed*.
- `deliveries_resume` (run by `send_due_reminders`) re-enqueues what a lost task left
  behind: an in-process timer gone with a restart, a worker that died mid-send.
- When Kairo moves a consultation already announced, `time_change_deliveries_schedule`
  queues a "new time" message to whoever was written to, with the raised calendar
  SEQUENCE, in the transaction that records the new time.
- Cancelling here queues a cancellation to the patient and the provider
  (`cancellation_deliveries_schedule`): no PIN, no link, and a calendar file that
  removes the event.
- Uniqueness constraints make the booking message and each reminder exactly-once even
  when two schedulers race: the second insert fails and is skipped.

`scheduling` creates the deliveries (booking, new time, Resend, reminders); `sending`
makes the attempts, retries them and resumes lost ones. Every public name is importable
from here.

Nothing here logs or records an address, a join link or a PIN.
"""

from consultations.services.deliveries.scheduling import (
    booking_deliveries_schedule,
    cancellation_deliveries_schedule,
    delivery_resend,
    delivery_resend_allowed,
    reminders_send_due,
    time_change_deliveries_schedule,
)
from consultations.services.deliveries.sending import (
    ABANDONED_AFTER,
    OVERDUE_GRACE,
    deliveries_resume,
    delivery_send,
    safe_error,
)

__all__ = [
    "ABANDONED_AFTER",
    "OVERDUE_GRACE",
    "booking_deliveries_schedule",
    "cancellation_deliveries_schedule",
    "deliveries_resume",
    "delivery_resend",
    "delivery_resend_allowed",
    "delivery_send",
    "reminders_send_due",
    "safe_error",
    "time_change_deliveries_schedule",
]
