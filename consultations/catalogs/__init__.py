"""Catalog workflows: seeding the starter rows and importing the official tables (CSV).

A package (house style: past ~400 lines): `seed` the starter rows, `kinds` the importable
catalogs and their columns, `importer` the CSV import, `report` its outcome, `usage`
which records use a row.
"""

from consultations.catalogs.importer import MAX_IMPORT_BYTES, catalog_import
from consultations.catalogs.kinds import CATALOG_KINDS, CatalogKind, catalog_kind_for_model
from consultations.catalogs.report import ImportReport, Problem, RowOutcome
from consultations.catalogs.seed import catalogs_seed
from consultations.catalogs.usage import catalog_row_usage

__all__ = [
    "CATALOG_KINDS",
    "MAX_IMPORT_BYTES",
    "CatalogKind",
    "ImportReport",
    "Problem",
    "RowOutcome",
    "catalog_import",
    "catalog_kind_for_model",
    "catalog_row_usage",
    "catalogs_seed",
]
