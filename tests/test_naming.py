"""Custom names per destination: legal, deterministic, collision-safe."""

from __future__ import annotations

import pytest

from mapper.naming import (
    DESTINATION_KINDS,
    check_custom_name,
    custom_field_name,
    custom_object_name,
    enum_value,
    external_id_field,
    original_created_field,
    original_updated_field,
    words,
)

LABELS = ["Chart Number", "chartnum", "PATIENT_STATUS", "Médical alert (text)", "2nd insurance", "x", "",
          "a" * 120, "Insurance Carrier ID", "NPI", "has__double__underscores_", "true"]


@pytest.mark.parametrize(
    ("kind", "label", "expected"),
    [
        ("twenty", "Chart Number", "chartNumber"),
        ("twenty", "PATIENT_STATUS", "patientStatus"),
        ("twenty", "Medical Alert__c", "medicalAlertC"),
        ("odoo", "Chart Number", "x_chart_number"),
        ("odoo", "Insurance Carrier ID", "x_insurance_carrier_id"),
        ("salesforce", "Chart Number", "Chart_Number__c"),
        ("salesforce", "original patient create date", "Original_Patient_Create_Date__c"),
        ("dynamics", "Source Patient ID", "bw_sourcepatientid"),
    ],
)
def test_custom_field_names(kind: str, label: str, expected: str) -> None:
    assert custom_field_name(kind, label) == expected


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("kind", DESTINATION_KINDS)
def test_every_generated_name_is_legal_and_stable(kind: str, label: str) -> None:
    name = custom_field_name(kind, label)
    assert check_custom_name(kind, name) is None, name
    assert custom_field_name(kind, label) == name
    assert check_custom_name(kind, custom_object_name(kind, label)) is None


@pytest.mark.parametrize("kind", DESTINATION_KINDS)
def test_collisions_get_suffixes_within_the_length_limit(kind: str) -> None:
    taken: list[str] = []
    for _ in range(12):
        taken.append(custom_field_name(kind, "a very long label " * 8, taken=taken))
    assert len({t.lower() for t in taken}) == 12
    assert all(check_custom_name(kind, t) is None for t in taken)
    assert custom_field_name(kind, "Chart No", taken=[custom_field_name(kind, "chart-no").upper()]) != custom_field_name(kind, "chart no")


def test_dynamics_prefix_is_configurable() -> None:
    assert custom_field_name("dynamics", "Chart Number", prefix="dent_") == "dent_chartnumber"
    assert external_id_field("dynamics", prefix="dent_") == "dent_externalid"
    assert check_custom_name("dynamics", "bw_chartnumber", prefix="dent_") is not None


def test_external_id_and_timestamp_fields() -> None:
    assert [external_id_field(k) for k in ("twenty", "odoo", "salesforce", "dynamics")] == [
        "bwExternalId", "x_bw_external_id", "BW_External_Id__c", "bw_externalid"]
    assert original_created_field("odoo") == "x_bw_original_created_at"
    assert original_updated_field("salesforce") == "BW_Original_Updated_At__c"
    assert custom_object_name("odoo", "Dental treatment plan") == "x_dental_treatment_plan"
    assert custom_object_name("twenty", "ledger entry") == "ledgerEntry"


@pytest.mark.parametrize(
    ("kind", "name"),
    [("twenty", "Alert__c"), ("twenty", "medical_alert"), ("odoo", "custom_char"), ("odoo", "x_Chart"),
     ("salesforce", "SourcePatientID"), ("salesforce", "Chart__Number__c"), ("dynamics", "SourcePatientID__c")],
)
def test_illegal_names_are_explained(kind: str, name: str) -> None:
    problem = check_custom_name(kind, name)
    assert problem is not None and "try '" in problem


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Penicillin allergy", "PENICILLIN_ALLERGY"), ("In progress", "IN_PROGRESS"), ("1", "OPTION_1"),
     ("null", "OPTION_NULL"), ("Höhe / Größe", "HOHE_GROSSE"), ("", "OPTION")],
)
def test_enum_values(label: str, expected: str) -> None:
    assert enum_value(label) == expected


def test_enum_values_are_collision_safe() -> None:
    assert enum_value("In-progress", taken=["IN_PROGRESS"]) == "IN_PROGRESS_2"


def test_words_split_camel_snake_and_digits() -> None:
    assert words("PatientChartNo_2") == ["Patient", "Chart", "No", "2"]
    assert words("HTTPServer") == ["HTTP", "Server"]


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown destination kind"):
        custom_field_name("hubspot", "x")
