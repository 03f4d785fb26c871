"""`python -m bench.import_catalog --rows N`: the catalog CSV import
(`consultations.catalogs.catalog_import`, what the admin's import and the
`import_catalog` command call) of N new consultation types, timed in-process on the
database DATABASE_URL names. Prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.utils import translation  # noqa: E402

from consultations.catalogs import catalog_import  # noqa: E402


def catalog_csv(rows: int) -> bytes:
    lines = ["code,name,description,is_active"]
    lines += [
        f"BENCH{n:06d},Tipo de consulta {n},Generada por el banco de pruebas,true"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    args = parser.parse_args()
    data = catalog_csv(args.rows)
    with translation.override("en"):
        started = time.perf_counter()
        report = catalog_import(kind="consultation-types", file=data, dry_run=False)
        ms = (time.perf_counter() - started) * 1000
        summary = str(report.as_lines()[0])
    print(
        json.dumps(
            {
                "rows": args.rows,
                "ms": ms,
                "summary": summary,
                "rejected": bool(report.rejected),
                "file_error": str(report.file_error or ""),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
