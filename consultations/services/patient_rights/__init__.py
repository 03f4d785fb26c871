"""A patient's rights over their data (Ley 1581 de 2012, art. 8): to know what the
clinic holds (`patient_data_export`), to withdraw their authorization
(`patient_authorization_withdraw`) and to have their data removed
(`patient_anonymize`, and the retention rule `patients_inactive_anonymize`). Each act
is written to the audit trail in the same transaction.

Anonymizing here changes nothing at Kairo Connect: its API has no endpoint to delete
or change a consultation (docs/kairo-connect-api.md "Endpoints"), so Kairo's copy is
asked for through Kairo Connect's support (docs/user-guide.md).
"""

from consultations.services.patient_rights.anonymize import (
    anonymized_document_number,
    anonymized_label,
    patient_anonymize,
    patient_authorization_withdraw,
)
from consultations.services.patient_rights.export import (
    EXPORT_SECTIONS,
    patient_data_export,
    patient_data_export_zip,
)
from consultations.services.patient_rights.retention import (
    patients_inactive,
    patients_inactive_anonymize,
)

__all__ = [
    "EXPORT_SECTIONS",
    "anonymized_document_number",
    "anonymized_label",
    "patient_anonymize",
    "patient_authorization_withdraw",
    "patient_data_export",
    "patient_data_export_zip",
    "patients_inactive",
    "patients_inactive_anonymize",
]
