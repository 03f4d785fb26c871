"""The clinic's data: catalogs, the directory (providers, patients), consultations and
the email deliveries about them.

Each field rule of the Kairo Connect contract (docs/kairo-connect-api.md) lives once, on
the model field (validators built from `kairo.contract`); one row's consistency lives in
`clean()` and in `Meta.constraints`; rules that need other rows or the clock live in
`rules.py`.
"""

from consultations.models.audit import AuditEntry, AuditRefused
from consultations.models.catalogs import (
    CatalogEntry,
    CatalogQuerySet,
    ConsultationType,
    Duration,
    MedicalSpecialty,
    ProfessionalType,
)
from consultations.models.consultations import (
    ACTIVE_STATUSES,
    KAIRO_RELEASED_STATUSES,
    Consultation,
    ConsultationEvent,
    ConsultationQuerySet,
    ConsultationStatus,
)
from consultations.models.deliveries import Delivery
from consultations.models.directory import (
    DocumentType,
    Identity,
    Language,
    Patient,
    Provider,
    document_masked,
    document_number_normalize,
    name_search_key,
)
from consultations.models.join_links import JoinLink
from consultations.models.patient_changes import PatientChange
from consultations.models.staff import StaffPreference
from consultations.models.webhooks import WebhookDelivery

__all__ = [
    "ACTIVE_STATUSES",
    "AuditEntry",
    "AuditRefused",
    "KAIRO_RELEASED_STATUSES",
    "CatalogEntry",
    "CatalogQuerySet",
    "Consultation",
    "ConsultationEvent",
    "ConsultationQuerySet",
    "ConsultationStatus",
    "ConsultationType",
    "Delivery",
    "DocumentType",
    "Duration",
    "Identity",
    "JoinLink",
    "Language",
    "MedicalSpecialty",
    "Patient",
    "PatientChange",
    "ProfessionalType",
    "Provider",
    "StaffPreference",
    "WebhookDelivery",
    "document_masked",
    "document_number_normalize",
    "name_search_key",
]
