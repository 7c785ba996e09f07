"""The CSV/XLSX folder source: sniffing, typed records, keys, paging, and one-line errors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from connectors.registry import open_source
from connectors.sources.csvsource import ROW_NUMBER, CsvSource, from_settings, open_table
from mapper.errors import ConfigError, SourceError


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "exports"
    d.mkdir()
    rows = ["patient_id,first,last,dob,balance,email,phone,active,updated_at"]
    for i in range(1, 61):
        rows.append(f"{i},Zoë{i},Muñoz,{(i % 12) + 1:02d}/2{i % 8}/1980,{i}.50,p{i}@example.com,(503) 555-01{i % 100:02d},{'yes' if i % 2 else 'no'},2024-0{(i % 9) + 1}-01 10:00:00")
    (d / "patients.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    (d / "notes.csv").write_text("patient;note\n1;first visit\n1;second visit\n2;x-ray\n", encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "fee", "seen_on"])
    sheet.append(["D0120", 55.0, datetime(2024, 1, 2)])
    sheet.append(["D1110", 105.5, datetime(2024, 1, 3)])
    book.save(d / "codes.xlsx")
    return d


def test_types_keys_and_dialects_are_sniffed(folder: Path) -> None:
    source = open_source("csv", {"path": str(folder)}, Path("."))
    schema = source.introspect(profile=True)
    assert schema.entity_names == ("codes", "notes", "patients")
    patients = schema.entity("patients")
    types = {f.name: f.type for f in patients.fields}
    assert types == {"patient_id": "int", "first": "string", "last": "string", "dob": "date", "balance": "money",
                     "email": "email", "phone": "phone", "active": "bool", "updated_at": "datetime"}
    assert patients.key == "patient_id" and patients.row_count == 60
    assert patients.field("dob").profile is not None and patients.field("dob").profile.date_format == "MM/DD/YYYY"
    notes = schema.entity("notes")
    assert notes.key == ROW_NUMBER and notes.row_count == 3  # patient repeats: no unique id column
    assert notes.fields[0].name == ROW_NUMBER


def test_records_are_typed_python_values(folder: Path) -> None:
    source = CsvSource(folder)
    first = next(iter(source.pages("patients"))).records[0]
    assert first["patient_id"] == 1 and first["first"] == "Zoë1" and first["last"] == "Muñoz"
    assert first["dob"] == date(1980, 2, 21)
    assert first["balance"] == Decimal("1.50")
    assert first["active"] is True
    assert first["updated_at"] == datetime(2024, 2, 1, 10, 0)
    codes = [r for p in source.pages("codes") for r in p.records]
    assert codes[1]["fee"] == Decimal("105.5") and codes[0]["code"] == "D0120"
    notes = [r for p in source.pages("notes") for r in p.records]
    assert [n["row_number"] for n in notes] == [1, 2, 3] and notes[2]["note"] == "x-ray"


def test_paging_resumes_and_fetch(folder: Path) -> None:
    source = CsvSource(folder)
    pages = list(source.pages("patients", page_size=25))
    assert [len(p.records) for p in pages] == [25, 25, 10]
    rest = [r["patient_id"] for p in source.pages("patients", page_size=25, cursor=pages[0].cursor) for r in p.records]
    assert rest == list(range(26, 61))
    assert [r["patient_id"] for r in source.fetch("patients", ["7", "3", "999"])] == [3, 7]
    changed = [r for p in source.pages("patients", changed_since=datetime(2024, 8, 1)) for r in p.records]
    assert changed and all(r["updated_at"] > datetime(2024, 8, 1) for r in changed)
    assert source.count("notes") == 3


def test_ragged_row_names_file_and_line(folder: Path) -> None:
    (folder / "bad.csv").write_text("a,b,c\n1,2,3\n4,5\n", encoding="utf-8")
    source = CsvSource(folder)
    with pytest.raises(SourceError, match=r"^bad.csv: line 3 has 2 fields, the header has 3\."):
        source.count("bad")


def test_trailing_empty_fields_are_tolerated(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2,\n3,4,,\n", encoding="utf-8")
    assert [r["a"] for p in CsvSource(tmp_path).pages("t") for r in p.records] == [1, 3]


def test_bytes_that_are_not_text(tmp_path: Path) -> None:
    (tmp_path / "blob.csv").write_bytes(b"\x00\x01\x02PNG\x00\xff\xfe\x00" * 50)
    with pytest.raises(SourceError, match="blob.csv: cannot tell its text encoding"):
        CsvSource(tmp_path).introspect()


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("id,name\n1,Ann\n2,Jos\xe9\n".encode("latin-1"))
    table = open_table(path, encoding="utf-8")
    with pytest.raises(SourceError, match=r"people.csv: line 3 is not valid utf-8 text"):
        list(table.rows())
    assert open_table(path).encoding not in ("utf-8", None)  # detection picks a single-byte code page


def test_settings_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a folder"):
        from_settings({}, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        from_settings({"path": "missing"}, tmp_path)
    (tmp_path / "f.csv").write_text("a\n1\n")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        from_settings({"path": "f.csv"}, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="holds no CSV or XLSX files"):
        from_settings({"path": "empty"}, tmp_path)
