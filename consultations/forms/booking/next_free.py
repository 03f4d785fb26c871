"""The hint after an overlap refusal: the provider's next free starts that day."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import clock
from consultations.clock import long_date
from consultations.forms.errors import NEXT_FREE_STARTS, NO_FREE_STARTS
from consultations.kairo import contract
from consultations.models import Duration, Patient, Provider
from consultations.selectors.provider_day import provider_next_free_starts

# Refusals for an overlapping booking, ours (`rules.py`) and Kairo's
# (docs/kairo-connect-api.md "Errors"): they get a hint with the provider's next free
# starts.
LOCAL_OVERLAP_CODES = frozenset(
    {"provider_busy", "provider_held_by_kairo", "patient_busy", "patient_held_by_kairo"}
)
OVERLAP_CODES = LOCAL_OVERLAP_CODES | {
    contract.ERROR_PROVIDER_NOT_AVAILABLE,
    contract.ERROR_PATIENT_NOT_AVAILABLE,
}


def next_free_starts_add(
    form: forms.BaseForm,
    *,
    provider: Provider,
    duration: Duration,
    patient: Patient | None,
    requested_for: dt.datetime | None,
    field: str | None,
) -> bool:
    """After an overlap refusal on `form` (`OVERLAP_CODES`, from the rules or from
    Kairo), a separate hint on `field`: `provider`'s next free starts for `duration` on
    the day asked for (`requested_for`; None: now), code `next_free_starts`, or
    `no_free_starts`. Returns whether it was added: not when no overlap was refused."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    if not codes & OVERLAP_CODES:
        return False
    after = requested_for or timezone.now()
    if not codes & LOCAL_OVERLAP_CODES:
        # Only Kairo knows the clash (booked elsewhere): the window refused is taken
        # there, so offer what starts once it is over.
        after += dt.timedelta(minutes=duration.minutes)
    starts = provider_next_free_starts(
        provider=provider,
        after=after,
        duration_minutes=duration.minutes,
        patient=patient,
    )
    day = after.astimezone(clock.organization_zone()).date()
    params = {"provider": provider.name, "date": long_date(day)}
    if starts:
        error = ValidationError(
            _("Next free times with %(provider)s on %(date)s: %(times)s."),
            code=NEXT_FREE_STARTS,
            params={**params, "times": ", ".join(start.strftime("%H:%M") for start in starts)},
        )
    else:
        error = ValidationError(
            _("%(provider)s has no free time left on %(date)s for this duration."),
            code=NO_FREE_STARTS,
            params=params,
        )
    form.add_error(field, error)
    return True
