"""The directory: providers and patients, each identified by document type + number.

A package (house style: past ~400 lines): `identifiers` the document and name-search
normalizers and their fields, `people` the Identity, Provider and Patient models. The
fields keep their migration path `consultations.models.directory.<Field>` (their
`deconstruct`), so moving them here changed no migration.
"""

from consultations.models.directory.identifiers import (
    DocumentNumberField,
    DocumentNumberFormField,
    DocumentType,
    NameSearchField,
    document_number_normalize,
    name_search_key,
)
from consultations.models.directory.people import (
    Identity,
    Language,
    Patient,
    Provider,
    document_masked,
)

__all__ = [
    "DocumentNumberField",
    "DocumentNumberFormField",
    "DocumentType",
    "Identity",
    "Language",
    "NameSearchField",
    "Patient",
    "Provider",
    "document_masked",
    "document_number_normalize",
    "name_search_key",
]
