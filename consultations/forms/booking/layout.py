"""How the booking form is laid out on the page (crispy-forms): patient, consultation,
when."""

from __future__ import annotations

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django.utils.translation import gettext_lazy as _


def booking_layout() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(
        Fieldset(
            _("Patient"),
            Row(
                Column("document_type", css_class="col-md-4"),
                Column("document_number", css_class="col-md-8"),
            ),
            "name",
            Row(Column("phone", css_class="col-md-6"), Column("email", css_class="col-md-6")),
            "preferred_language",
            HTML(
                '{% include "consultations/partials/patient_on_file.html" with '
                "on_file=form.on_file confirmed=form.name_change_confirmed.value %}"
            ),
            "authorization",
        ),
        Fieldset(_("Consultation"), "provider", "consultation_type", InlineRadios("duration")),
        Fieldset(
            _("When"),
            InlineRadios("when"),
            Div(
                Row(
                    Column("scheduled_date", css_class="col-md-6"),
                    Column("scheduled_time", css_class="col-md-6"),
                ),
                css_id="schedule-fields",
            ),
        ),
        "booking_token",
        Submit("book", _("Book consultation"), css_class="btn-primary"),
    )
    return helper
