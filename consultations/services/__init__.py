"""Workflows (house style: `<noun>_<verb>` functions, keyword-only, owning transactions).

Re-exported here so callers write `from consultations import services` and
`services.patient_save(...)`, whichever module a workflow lives in.
"""

from consultations.services.audit import audit_record
from consultations.services.booking import (
    BookingNotSent,
    BookingRefused,
    BookingUnrecorded,
    consultation_book,
    consultation_book_sent,
)
from consultations.services.deliveries import (
    booking_deliveries_schedule,
    cancellation_deliveries_schedule,
    deliveries_resume,
    delivery_resend,
    delivery_resend_allowed,
    delivery_send,
    reminders_send_due,
    time_change_deliveries_schedule,
)
from consultations.services.directory import patient_save, provider_save
from consultations.services.lifecycle import (
    CANCELLABLE_STATUSES,
    RefreshTimeClash,
    consultation_cancel,
    consultation_refresh,
    consultations_sweep_stuck,
)
from consultations.services.patient_rights import (
    patient_anonymize,
    patient_authorization_withdraw,
    patient_data_export,
    patient_data_export_zip,
    patients_inactive_anonymize,
)
from consultations.services.reconciliation import (
    ReconcileReport,
    consultations_reconcile,
    unconfirmed_attention_surface,
)
from consultations.services.rehearsal import (
    RehearsalRefused,
    rehearsal_actions,
    rehearsal_available,
    rehearsal_lose_next_answer,
    rehearsal_simulate,
)
from consultations.services.staff import staff_language_save
from consultations.services.webhooks import webhook_delivery_handle

__all__ = [
    "CANCELLABLE_STATUSES",
    "BookingNotSent",
    "BookingRefused",
    "BookingUnrecorded",
    "ReconcileReport",
    "RefreshTimeClash",
    "RehearsalRefused",
    "audit_record",
    "booking_deliveries_schedule",
    "cancellation_deliveries_schedule",
    "consultation_book",
    "consultation_book_sent",
    "consultation_cancel",
    "consultation_refresh",
    "consultations_reconcile",
    "consultations_sweep_stuck",
    "deliveries_resume",
    "delivery_resend",
    "delivery_resend_allowed",
    "delivery_send",
    "rehearsal_actions",
    "rehearsal_available",
    "rehearsal_lose_next_answer",
    "rehearsal_simulate",
    "reminders_send_due",
    "time_change_deliveries_schedule",
    "unconfirmed_attention_surface",
    "patient_anonymize",
    "patient_authorization_withdraw",
    "patient_data_export",
    "patient_data_export_zip",
    "patient_save",
    "patients_inactive_anonymize",
    "provider_save",
    "staff_language_save",
    "webhook_delivery_handle",
]
