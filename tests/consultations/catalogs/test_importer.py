"""catalog_import: official tables in, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from consultations.catalogs import catalog_import
from consultations.kairo import contract
from consultations.models import ConsultationType, Duration, MedicalSpecialty, ProfessionalType
from tests.consultations.catalogs.tables import FIXTURES, snapshot
from tests.factories import MedicalSpecialtyFactory, ProviderFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db


def csv_bytes(*lines: str, delimiter: str = ",") -> bytes:
    return "\n".join(line.replace(",", delimiter) for line in lines).encode() + b"\n"


def problems_by_line(report) -> dict[int, set[tuple[str, str]]]:
    return {
        row.line: {(problem.column, problem.code) for problem in row.problems}
        for row in report.rejected
    }


# --- A good file -------------------------------------------------------------------------


def test_good_file_creates_and_updates_by_code_and_confirms():
    assert ProfessionalType.objects.get(code="Nutricionista").is_confirmed is False
    data = csv_bytes(
        "code,name,requires_specialty,active",
        "Nutricionista,Nutricionista dietista,no,si",
        "Odontologo,Odontólogo,no,sí",
        "MedicoGeneral,Médico General,false,1",
    )

    report = catalog_import(kind="professional-types", file=data)

    assert report.ok and report.applied
    assert [(row.line, row.key) for row in report.created] == [(3, "Odontologo")]
    assert [(row.line, row.key, row.changed) for row in report.updated] == [
        (2, "Nutricionista", ("name", "confirmed"))
    ]
    assert [(row.line, row.key) for row in report.unchanged] == [(4, "MedicoGeneral")]
    nutricionista = ProfessionalType.objects.get(code="Nutricionista")
    assert nutricionista.name == "Nutricionista dietista"
    assert nutricionista.is_confirmed is True
    odontologo = ProfessionalType.objects.get(code="Odontologo")
    assert (odontologo.name, odontologo.is_active, odontologo.is_confirmed) == (
        "Odontólogo",
        True,
        True,
    )


def test_spanish_headers_semicolons_bom_and_crlf_are_understood():
    report = catalog_import(kind="specialties", file=FIXTURES / "especialidades.csv")

    assert report.ok, report.as_lines()
    assert {row.key for row in report.created} == {"NE001"}
    assert {row.key for row in report.updated} == {"CA003", "DE001"}
    cardiology = MedicalSpecialty.objects.get(code="CA003")
    assert (cardiology.kairo_id, cardiology.is_confirmed) == (3, True)
    assert MedicalSpecialty.objects.get(code="NE001").kairo_id == 17
    assert MedicalSpecialty.objects.get(code="DE001").is_active is False


def test_english_and_spanish_files_of_the_same_table_give_the_same_rows():
    catalog_import(kind="specialties", file=FIXTURES / "specialties.csv")
    after_english = snapshot()

    report = catalog_import(kind="specialties", file=FIXTURES / "especialidades.csv")

    assert report.ok
    assert len(report.unchanged) == 3 and not report.created and not report.updated
    assert snapshot() == after_english


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Requiere especialidad", "Sí", True),
        ("requiere_especialidad", "si", True),
        ("REQUIRES_SPECIALTY", "TRUE", True),
        ("requires-specialty", "1", True),
        ("requires_specialty", "No", False),
        ("requires_specialty", "false", False),
        ("requires_specialty", "0", False),
    ],
)
def test_header_aliases_and_boolean_spellings(header, value, expected):
    data = csv_bytes(
        f"Código;Nombre;{header}", f"Fonoaudiologo;Fonoaudiólogo;{value}", delimiter=";"
    )

    report = catalog_import(kind="professional-types", file=data)

    assert report.ok, report.as_lines()
    assert ProfessionalType.objects.get(code="Fonoaudiologo").requires_specialty is expected


def test_empty_optional_cell_keeps_the_current_value():
    general = ConsultationType.objects.get(code="ConsultaGeneral")
    general.description = "Texto propio de la clínica"
    general.is_active = False
    general.save()
    data = csv_bytes(
        "codigo,nombre,descripcion,activo",
        "ConsultaGeneral,Consulta general,,",
        "ConsultaPrioritaria,Consulta prioritaria,,",
    )

    report = catalog_import(kind="consultation-types", file=data)

    assert report.ok
    general.refresh_from_db()
    assert (general.description, general.is_active) == ("Texto propio de la clínica", False)
    new = ConsultationType.objects.get(code="ConsultaPrioritaria")
    assert (new.description, new.is_active) == ("", True)


def test_quoted_multiline_cells_keep_line_numbers_right():
    data = (
        "code,name,description\n"
        'ConsultaControl,Consulta de control,"Seguimiento,\nen dos líneas"\n'
        "bad code,Mala,\n"
    ).encode()

    report = catalog_import(kind="consultation-types", file=data)

    assert problems_by_line(report) == {4: {("code", "invalid_code")}}


def test_durations_import_matches_by_minutes():
    data = csv_bytes("minutos,uso_recomendado,activo", "30,Estándar,sí", "45,,no")

    report = catalog_import(kind="durations", file=data)

    assert report.ok
    assert {row.key for row in report.updated} == {"30", "45"}
    assert Duration.objects.get(minutes=30).recommended_use == "Estándar"
    assert Duration.objects.get(minutes=45).is_active is False
    assert Duration.objects.count() == len(contract.ALLOWED_DURATIONS)


def test_dry_run_reports_but_saves_nothing():
    before = snapshot()

    report = catalog_import(kind="specialties", file=FIXTURES / "specialties.csv", dry_run=True)

    assert report.ok and not report.applied
    assert {row.key for row in report.created} == {"NE001"}
    assert snapshot() == before


def test_import_by_a_user_leaves_admin_history():
    user = UserFactory()
    data = csv_bytes("code,name", "CA003,Cardiología clínica", "NE001,Neurología")

    catalog_import(kind="specialties", file=data, user=user)

    entries = LogEntry.objects.filter(user=user)
    assert sorted(entries.values_list("object_repr", "action_flag")) == [
        ("Cardiología clínica (CA003)", CHANGE),
        ("Neurología (NE001)", ADDITION),
    ]


def test_reimporting_the_same_file_changes_nothing():
    catalog_import(kind="professional-types", file=FIXTURES / "professional-types.csv")
    before = snapshot()

    report = catalog_import(kind="professional-types", file=FIXTURES / "professional-types.csv")

    assert report.ok and not report.created and not report.updated
    assert len(report.unchanged) == 4
    assert snapshot() == before


def test_accepts_an_uploaded_file_object():
    report = catalog_import(
        kind="specialties", file=io.BytesIO(b"code,name\nNE001,Neurolog\xc3\xada\n")
    )

    assert report.ok
    assert MedicalSpecialty.objects.get(code="NE001").name == "Neurología"


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown catalog kind"):
        catalog_import(kind="specialities", file=b"code,name\nX,Y\n")


# --- Bad rows: reported with line numbers, nothing changed ---------------------------------


def test_bad_rows_are_reported_by_line_and_nothing_changes():
    before = snapshot()
    data = csv_bytes(
        "code,name,kairo_id,active",
        "NE001,Neurología,17,si",  # fine on its own, but the file has bad rows
        "Medicina Interna,Medicina interna,,si",  # a code with a space
        "NE001,Neurología otra vez,,si",  # duplicate inside the file
        "OR001,,,si",  # no name
        "PE001,Pediatría,doce,quizás",  # not a number, not a yes/no
        "GI001,Ginecología,17,si",  # the Kairo id line 2 already took
        "DE001,Dermatología,,si,extra",  # more values than columns
    )

    report = catalog_import(kind="specialties", file=data)

    assert not report.ok and not report.applied
    assert report.file_error is None
    assert problems_by_line(report) == {
        3: {("code", "invalid_code")},
        4: {("code", "duplicate_in_file")},
        5: {("name", "blank")},
        6: {("kairo_id", "invalid_integer"), ("active", "invalid_boolean")},
        7: {("kairo_id", "unique")},
        8: {("", "extra_values")},
    }
    assert [row.key for row in report.created] == ["NE001"]  # what would have happened
    assert snapshot() == before
    assert not MedicalSpecialty.objects.filter(code="NE001").exists()


def test_a_55_minute_duration_is_refused_and_the_valid_rows_are_not_applied():
    before = snapshot()

    report = catalog_import(kind="durations", file=FIXTURES / "durations-with-55.csv")

    assert problems_by_line(report) == {3: {("minutes", "invalid_choice")}}
    assert snapshot() == before
    assert not Duration.objects.filter(minutes=55).exists()
    assert Duration.objects.get(minutes=60).is_active is True


@pytest.mark.parametrize("minutes", ["0", "5", "55", "61", "-10", "90"])
def test_only_the_contract_durations_can_be_imported(minutes):
    report = catalog_import(
        kind="durations", file=csv_bytes("minutes,recommended_use", f"{minutes},x")
    )

    assert problems_by_line(report)[2] & {("minutes", "invalid_choice")}


def test_a_key_that_cannot_be_read_is_reported_as_written():
    report = catalog_import(kind="durations", file=csv_bytes("minutes,recommended_use", "abc,x"))

    assert [(row.line, row.key) for row in report.rejected] == [(2, "abc")]
    assert problems_by_line(report) == {2: {("minutes", "invalid_integer")}}


def test_required_yes_no_cell_cannot_be_empty():
    report = catalog_import(
        kind="professional-types",
        file=csv_bytes("code,name,requires_specialty", "Odontologo,Odontólogo,"),
    )

    assert problems_by_line(report) == {2: {("requires_specialty", "required")}}


def test_requires_specialty_cannot_change_while_providers_use_the_type():
    SpecialistFactory()
    ProviderFactory()  # a Médico General, without specialty
    before = snapshot()
    data = csv_bytes(
        "code,name,requires_specialty",
        "MedicoEspecialista,Médico Especialista,no",
        "MedicoGeneral,Médico General,si",
    )

    report = catalog_import(kind="professional-types", file=data)

    assert problems_by_line(report) == {
        2: {("requires_specialty", "requires_specialty_in_use")},
        3: {("requires_specialty", "requires_specialty_in_use")},
    }
    assert snapshot() == before


def test_requires_specialty_may_change_while_no_provider_uses_the_type():
    MedicalSpecialtyFactory()
    data = csv_bytes("code,name,requires_specialty", "Psicologo,Psicólogo,si")

    report = catalog_import(kind="professional-types", file=data)

    assert report.ok
    assert ProfessionalType.objects.get(code="Psicologo").requires_specialty is True


# --- Broken files: a clear file error, nothing changed --------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\xef\xbb\xbf \n\n  \n", "empty", id="blank-lines-and-bom"),
        pytest.param(b"code,name,kairo_id\n", "no_rows", id="header-only"),
        pytest.param(bytes(range(256)) * 4, "not_text", id="binary-garbage"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text", id="png-image"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet", id="xlsx-workbook"),
        pytest.param("code,name\nCA003,Cardiología\n".encode("latin-1"), "not_utf8", id="latin-1"),
        pytest.param("code,name\nCA003,X\n".encode("utf-16"), "not_utf8", id="utf-16"),
        pytest.param(b"codigo,nombre_completo\nCA003,X\n", "missing_columns", id="wrong-header"),
        pytest.param(b"CA003,Cardiologia\nPE001,Pediatria\n", "missing_columns", id="no-header"),
        pytest.param(b"code,name,colour\nCA003,X,red\n", "unknown_columns", id="unknown-column"),
        pytest.param(b"code,codigo,name\nCA003,CA003,X\n", "duplicate_columns", id="same-twice"),
        pytest.param(b'code,name\nCA003,"Cardiolog\n', "malformed_csv", id="unclosed-quote"),
    ],
)
def test_broken_file_is_refused_whole_and_changes_nothing(content, code):
    before = snapshot()

    report = catalog_import(kind="specialties", file=content)

    assert report.file_error is not None
    assert report.file_error.code == code
    assert report.file_error.message
    assert not report.ok and not report.applied
    assert not (report.created or report.updated or report.rejected)
    assert snapshot() == before


def test_too_large_file_is_refused(monkeypatch):
    monkeypatch.setattr("consultations.catalogs.importer.MAX_IMPORT_BYTES", 64)

    report = catalog_import(kind="specialties", file=b"code,name\n" + b"CA003,X\n" * 20)

    assert report.file_error.code == "too_large"


def test_missing_columns_error_names_them():
    report = catalog_import(kind="durations", file=b"minutos\n30\n")

    assert report.file_error.code == "missing_columns"
    assert "recommended_use" in report.file_error.message
