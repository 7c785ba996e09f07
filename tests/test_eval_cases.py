"""Structure checks for the mapping-accuracy eval cases (evals/cases/<case>/) and the destination
metadata files they are drawn from (mapper/knowledge/destinations/<kind>.json)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mapper.schema import FIELD_TYPES, Schema

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "evals" / "cases"
DEST_DIR = ROOT / "mapper" / "knowledge" / "destinations"
DEST_KINDS = ("twenty", "salesforce", "dynamics", "odoo")

SOURCE_HEADER = ["TableName", "TableDesc", "ColumnName", "ColumnDesc", "ColumnType", "SampleValues"]
TARGET_HEADER = ["ObjectName", "ObjectDesc", "FieldName", "FieldLabel", "FieldType", "Required", "FieldDesc"]
GOLD_HEADER = ["SRC_ENT", "SRC_ATT", "TGT_ENT", "TGT_ATT", "KIND"]
KINDS = {"direct", "relation", "custom", "skip"}

EXPECTED_CASES = {
    "dentrix_twenty", "dentrix_salesforce", "dentrix_dynamics", "dentrix_odoo", "dentally_odoo",
    "dentally_twenty", "dentally_salesforce", "dentally_dynamics",
    "ascend_twenty", "ascend_salesforce", "ascend_dynamics", "ascend_odoo", "dentrix_enterprise_odoo",
}

CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _dest_kind(case: Path) -> str:
    kind = case.name.rsplit("_", 1)[-1]
    assert kind in DEST_KINDS, f"{case.name}: folder name must end with a destination kind"
    return kind


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    return {k: Schema.load(DEST_DIR / f"{k}.json") for k in DEST_KINDS}


def test_all_expected_cases_exist() -> None:
    assert EXPECTED_CASES <= {c.name for c in CASES}


@pytest.mark.parametrize("kind", DEST_KINDS)
def test_destination_file_loads(kind: str, schemas: dict[str, Schema]) -> None:
    schema = schemas[kind]
    assert schema.system == kind
    assert len(schema.entities) >= 5
    for entity in schema.entities:
        assert entity.fields, entity.name
        assert len(set(entity.field_names)) == len(entity.field_names), f"{entity.name}: duplicate field"
        for field in entity.fields:
            assert field.type in FIELD_TYPES
            assert field.label and field.description, f"{entity.name}.{field.name}"
            assert not field.is_custom, f"{entity.name}.{field.name}: only standard fields belong here"
            if field.type == "reference":
                assert field.reference, f"{entity.name}.{field.name}: reference without target"


def test_no_custom_field_names_in_destinations(schemas: dict[str, Schema]) -> None:
    for kind, schema in schemas.items():
        for entity in schema.entities:
            for name in entity.field_names:
                assert not name.endswith("__c") and not name.startswith("x_"), f"{kind} {entity.name}.{name}"
                assert not name.startswith(("new_", "dent_")), f"{kind} {entity.name}.{name}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_files_and_headers(case: Path) -> None:
    for name, header in (("source.csv", SOURCE_HEADER), ("target.csv", TARGET_HEADER), ("gold.csv", GOLD_HEADER)):
        got, rows = _read(case / name)
        assert got == header, f"{case.name}/{name} header"
        assert rows, f"{case.name}/{name} is empty"
        for row in rows:
            assert None not in row and all(v is not None for v in row.values()), f"{case.name}/{name}: ragged row {row}"
    title = (case / "TITLE").read_text(encoding="utf-8").strip()
    assert title and "\n" not in title


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_source_is_well_formed(case: Path) -> None:
    _, rows = _read(case / "source.csv")
    keys = [(r["TableName"], r["ColumnName"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate source column"
    assert all(r["TableName"] and r["ColumnName"] and r["ColumnType"] for r in rows)
    for r in rows:
        if r["SampleValues"]:
            assert all(v.strip() for v in r["SampleValues"].split(" | ")), r


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_gold_references_exist(case: Path) -> None:
    _, source = _read(case / "source.csv")
    _, target = _read(case / "target.csv")
    _, gold = _read(case / "gold.csv")
    src_keys = {(r["TableName"], r["ColumnName"]) for r in source}
    tgt_keys = {(r["ObjectName"], r["FieldName"]): r for r in target}
    tgt_objects = {r["ObjectName"] for r in target}
    kinds_per_attr: dict[tuple[str, str], list[str]] = {}
    for g in gold:
        key = (g["SRC_ENT"], g["SRC_ATT"])
        assert key in src_keys, f"gold source {key} not in source.csv"
        assert g["KIND"] in KINDS, g
        kinds_per_attr.setdefault(key, []).append(g["KIND"])
        if g["KIND"] in ("direct", "relation"):
            assert (g["TGT_ENT"], g["TGT_ATT"]) in tgt_keys, f"gold target {g['TGT_ENT']}.{g['TGT_ATT']} not in target.csv"
            ftype = tgt_keys[(g["TGT_ENT"], g["TGT_ATT"])]["FieldType"]
            assert (ftype == "reference") == (g["KIND"] == "relation"), f"{key}: {g['KIND']} onto a {ftype} field"
        elif g["KIND"] == "custom":
            # TGT_ENT: the standard object that would carry the custom field, or empty; TGT_ATT empty
            assert g["TGT_ATT"] == "", g
            assert g["TGT_ENT"] == "" or g["TGT_ENT"] in tgt_objects, g
        else:  # skip
            assert g["TGT_ENT"] == "" and g["TGT_ATT"] == "", g
    # every source attribute has gold; custom/skip is the only row for its attribute
    assert set(kinds_per_attr) == src_keys, f"source attributes without gold: {sorted(src_keys - set(kinds_per_attr))}"
    for key, kinds in kinds_per_attr.items():
        if {"custom", "skip"} & set(kinds):
            assert len(kinds) == 1, f"{key}: custom/skip mixed with other gold rows"
    dupes = [(g["SRC_ENT"], g["SRC_ATT"], g["TGT_ENT"], g["TGT_ATT"]) for g in gold]
    assert len(dupes) == len(set(dupes)), "duplicate gold row"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_target_matches_destination_file(case: Path, schemas: dict[str, Schema]) -> None:
    schema = schemas[_dest_kind(case)]
    _, target = _read(case / "target.csv")
    expected = [
        [e.name, e.description, f.name, f.label, f.type, "true" if f.required else "false", f.description]
        for e in schema.entities for f in e.fields
    ]
    got = [[r[h] for h in TARGET_HEADER] for r in target]
    assert got == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_has_every_kind_of_answer(case: Path) -> None:
    _, gold = _read(case / "gold.csv")
    kinds = {g["KIND"] for g in gold}
    assert {"direct", "relation", "custom", "skip"} <= kinds
