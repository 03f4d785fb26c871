"""The booking desk's forms: booking a consultation, and cancelling one.

A package (house style: past ~400 lines): `form` the booking form and its checks,
`kairo_refusal` Kairo's refusal put back on its fields, `next_free` the hint with the
provider's next free starts after an overlap, `layout` how the form is laid out, and
`cancel` the cancel form.
"""

from consultations.forms.booking.cancel import CancelForm
from consultations.forms.booking.form import (
    SERVICE_FIELDS,
    WHEN_NOW,
    WHEN_SCHEDULED,
    BookingForm,
    ProviderChoiceField,
)
from consultations.forms.booking.kairo_refusal import KAIRO_FIELDS, kairo_refusal_add
from consultations.forms.booking.layout import booking_layout
from consultations.forms.booking.next_free import (
    LOCAL_OVERLAP_CODES,
    OVERLAP_CODES,
    next_free_starts_add,
)

__all__ = [
    "KAIRO_FIELDS",
    "LOCAL_OVERLAP_CODES",
    "OVERLAP_CODES",
    "SERVICE_FIELDS",
    "WHEN_NOW",
    "WHEN_SCHEDULED",
    "BookingForm",
    "CancelForm",
    "ProviderChoiceField",
    "booking_layout",
    "kairo_refusal_add",
    "next_free_starts_add",
]
