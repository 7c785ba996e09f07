"""The Dentrix source over real SQLite files, a SQLAlchemy URL and a folder of cp1252 CSV exports."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import Source
from connectors.registry import open_source
from connectors.sources._dentrix_sql import count_query, fetch_query, page_query, transpile
from connectors.sources.demo import PracticeStats, generate_practice
from connectors.sources.dentrix import DentrixSource, from_settings
from mapper.errors import ConfigError, SourceError


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PracticeStats]:
    path = tmp_path_factory.mktemp("dentrix") / "practice.db"
    return path, generate_practice(path, patients=400, sites=2, seed=5)


@pytest.fixture(scope="module")
def source(practice: tuple[Path, PracticeStats]) -> DentrixSource:
    src = from_settings({"path": str(practice[0])}, Path("."))
    yield src
    src.close()


def _all(src: Source, entity: str, **kw: object) -> list[dict[str, object]]:
    return [r for page in src.pages(entity, **kw) for r in page.records]  # type: ignore[arg-type]


# -- queries per dialect ------------------------------------------------------------------------
def test_page_query_per_dialect() -> None:
    sqlite = page_query("patient", ["patid", "lastname"], ["patid"], resume=True, since=True, limit=500, dialect="sqlite")
    assert sqlite.sql == "SELECT patid, lastname FROM patient WHERE patid > :k0 AND automodifiedtimestamp > :since ORDER BY patid LIMIT 500"
    assert sqlite.params == ()
    tsql = page_query("patient", ["patid", "lastname"], ["patid"], resume=True, since=False, limit=500, dialect="tsql")
    assert tsql.sql.startswith("SELECT TOP 500 patid, lastname FROM patient WHERE") and "LIMIT" not in tsql.sql
    ctree = page_query("patient", ["patid", "lastname"], ["patid"], resume=True, since=True, limit=500, dialect="ctree")
    assert ctree.sql.startswith("SELECT TOP 500 patid, lastname FROM admin.patient WHERE")
    assert ":" not in ctree.sql and ctree.sql.count("?") == 2
    assert ctree.params == ("k0", "since")
    assert ctree.bind({"since": "x", "k0": 9}) == (9, "x")


def test_composite_keyset_and_fetch_queries() -> None:
    q = page_query("fullnotes", ["notetype", "noteid"], ["notetype", "noteid"], resume=True, since=False, limit=10, dialect="ctree")
    assert "admin.fullnotes" in q.sql and q.params == ("k0", "k0", "k1")
    f = fetch_query("rsc", ["rscid", "lastname"], ["rscid"], 2, "tsql", trim=["rscid"])
    assert f.sql == "SELECT rscid, lastname FROM rsc WHERE TRIM(rscid) IN (:i0_0, :i1_0)"
    assert count_query("appt", "ctree").sql == "SELECT COUNT(*) FROM admin.appt"
    assert transpile("SELECT a FROM t LIMIT 3", "tsql").sql == "SELECT TOP 3 a FROM t"


# -- reading ------------------------------------------------------------------------------------
def test_introspect_enriches_the_catalogue(source: DentrixSource, practice: tuple[Path, PracticeStats]) -> None:
    schema = source.introspect(profile=True)
    stats = practice[1]
    assert schema.system == "dentrix"
    assert "_bw_truth" not in schema.entity_names
    patient = schema.entity("patient")
    assert patient.key == "patid" and patient.row_count == stats.patients
    assert patient.field("guarid").reference == "patient"
    assert patient.field("addrid").reference == "address"
    assert patient.field("priminsuredid").reference == "insured"
    assert patient.field("pager").type == "phone" and patient.field("pager").label == "Mobile phone"
    assert patient.field("emailaddr").type == "email" and patient.field("emailaddr").max_length == 61
    assert patient.field("status").enum_values == ("1", "2", "3", "4")
    assert patient.field("lastname").profile is not None and patient.field("lastname").profile.count == stats.patients
    assert schema.entity("insured").field("insplanid").reference == "inscarrier"
    assert schema.entity("appt").field("provid").reference == "rsc"
    assert schema.entity("appt").field("start_datetime").type == "datetime"
    assert schema.entity("fullproclog").field("proccodeid").reference == "proccode"
    assert schema.entity("fullproclog").field("amt").type == "money"
    assert schema.entity("recallpending").key == "rowkey"
    assert schema.entity("hhlinkpat_item").field("hhitemid").reference == "hhitem"
    for entity in schema.entities:
        assert entity.row_count == stats.tables[entity.name]


def test_records_are_normalised(source: DentrixSource) -> None:
    patients = _all(source, "patient")
    assert all(isinstance(p["patid"], int) for p in patients)
    assert all(p["lastname"] == p["lastname"].strip() for p in patients)  # type: ignore[union-attr]
    assert any(p["emailaddr"] is None for p in patients)  # '' -> None
    assert all(isinstance(p["birthdate"], date) for p in patients)
    assert all(p["firstvisitdate"] is None or isinstance(p["firstvisitdate"], date) for p in patients)
    assert any(p["priminsuredid"] is None for p in patients)  # 0 -> None for references
    assert all(isinstance(p["isguar"], bool) for p in patients)
    assert all(isinstance(p["automodifiedtimestamp"], datetime) for p in patients)
    ledger = _all(source, "fullproclog")
    payments = [r for r in ledger if r["proclogclass"] == 1]
    assert payments and all(isinstance(r["amt"], Decimal) and r["amt"] < 0 for r in payments)
    appts = _all(source, "appt")
    first = next(a for a in appts if a["apptdate"] is not None)
    assert first["start_datetime"] == datetime(first["apptdate"].year, first["apptdate"].month, first["apptdate"].day, first["timehr"], first["timemin"])  # type: ignore[union-attr]
    assert any(a["patid"] is None and a["patname"] for a in appts)  # name-only booking
    notes = _all(source, "fullnotes")
    assert all(n["rowkey"] == f"{n['notetype']}:{n['noteid']}" for n in notes)


def _typed(records: list[dict[str, object]]) -> list[list[tuple[str, str, object]]]:
    return [[(k, type(v).__name__, v) for k, v in r.items()] for r in records]


def test_odd_rows_read_the_same_as_through_the_general_converter(practice: tuple[Path, PracticeStats], tmp_path: Path) -> None:
    """The fast row path falls back to the general one for NULLs, blobs, reals, odd text: same records either way."""
    import shutil

    copy = tmp_path / "odd.db"
    shutil.copy(practice[0], copy)
    with sqlite3.connect(copy) as db:  # the same tables without NOT NULL (CREATE TABLE AS keeps no constraints)
        for table in ("patient", "appt"):
            db.execute(f"CREATE TABLE loose AS SELECT * FROM {table}")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE loose RENAME TO {table}")
        db.execute("UPDATE patient SET lastname = NULL, emailaddr = X'636166E920', famid = 2.5,"
                   " automodifiedtimestamp = ' 2024-05-06 07:08:09 ', birthdate = '05/06/1990' WHERE patid % 3 = 0")
        db.execute("UPDATE patient SET firstname = X'4A6F73E9', gender = '1', privacyflags = NULL WHERE patid % 7 = 0")
        db.execute("UPDATE appt SET timehr = '9', apptdate = '2024-02-03 00:00:00', modifieddate = '1899-12-30 00:00:00' WHERE apptid % 5 = 0")
        rows = {t: db.execute(f"SELECT * FROM {t} ORDER BY {k}").fetchall() for t, k in (("patient", "patid"), ("appt", "apptid"))}
    src = from_settings({"path": str(copy)}, Path("."))
    try:
        for entity, raw in rows.items():
            general = src._table(entity).converters.general
            got = _all(src, entity, page_size=40)
            assert _typed(got) == _typed([general(r) for r in raw]), entity
        assert src._table("patient").converters.slow[0] > 0  # the odd rows did take the general path
        odd = src.fetch("patient", ["3", "7"])
        assert odd[0]["lastname"] is None and odd[0]["emailaddr"] == "caf\xe9" and odd[0]["famid"] == 2
        assert odd[0]["birthdate"] == date(1990, 5, 6) and odd[0]["automodifiedtimestamp"] == datetime(2024, 5, 6, 7, 8, 9)
        assert odd[1]["firstname"] == "Jos\xe9" and odd[1]["gender"] == 1 and odd[1]["privacyflags"] is None
    finally:
        src.close()


def test_memoised_normalisers_match_the_functions() -> None:
    from connectors.sources import dentrix

    values: list[object] = [None, "", 0, 1, 0.0, 1.0, 5, 5.0, 12.345, -0.005, 0.125, "12.50", "$1,234.5", " 7 ", "x", True, False,
                            "2024-01-02", "1899-12-30", "1900-01-01", "01/02/2024", 20240102, 20240102.0, "2024-01-02 10:11:12", b"1"]
    for memo, fn in ((dentrix._MONEY, dentrix._money), (dentrix._DATE, dentrix._date), (dentrix._BOOL, dentrix._bool)):
        for _ in range(2):  # first sight fills the memo, the second reads it
            for value in values:
                if memo is dentrix._MONEY and value == b"1":
                    continue
                got, want = memo[value], fn(value)
                assert (type(got), got) == (type(want), want), (fn.__name__, value)
    for hour, minute in ((9, 30), (0, 0), (None, 5), (30, 75), (23, None)):  # appointment start: memoised clock == _start()
        day = date(2024, 2, 3)
        assert datetime.combine(day, dentrix._TIME[(hour, minute)]) == dentrix._start(day, hour, minute)


def test_keyset_paging_resumes_after_the_cursor(source: DentrixSource) -> None:
    pages = list(source.pages("appt", page_size=97))
    ids = [r["apptid"] for p in pages for r in p.records]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == source.count("appt")
    resumed = [r["apptid"] for p in source.pages("appt", page_size=97, cursor=pages[2].cursor) for r in p.records]
    assert resumed == ids[3 * 97:]
    composite = [r["rowkey"] for p in source.pages("recallpending", page_size=50) for r in p.records]
    assert len(composite) == len(set(composite)) == source.count("recallpending")
    recalls = _all(source, "recallpending")
    keyed = sorted((r["patid"], r["recallid"]) for r in recalls)
    after = [(r["patid"], r["recallid"]) for p in source.pages("recallpending", page_size=50, cursor=json.dumps(list(keyed[99]))) for r in p.records]
    assert after == keyed[100:]


def test_changed_since_uses_automodifiedtimestamp(source: DentrixSource, practice: tuple[Path, PracticeStats]) -> None:
    since = datetime(2026, 3, 1)
    with sqlite3.connect(practice[0]) as db:
        expected = db.execute("SELECT COUNT(*) FROM patient WHERE automodifiedtimestamp > '2026-03-01 00:00:00'").fetchone()[0]
    changed = _all(source, "patient", changed_since=since, page_size=25)
    assert 0 < len(changed) == expected < source.count("patient")
    assert all(r["automodifiedtimestamp"] > since for r in changed)  # type: ignore[operator]


def test_fetch_by_source_id(source: DentrixSource) -> None:
    got = source.fetch("patient", ["7", "3", "999999"])
    assert [r["patid"] for r in got] == [7, 3]
    assert source.fetch("rsc", ["DDS1"])[0]["rscid"] == "DDS1"  # char key, stored space padded
    note = _all(source, "fullnotes")[0]
    assert source.fetch("fullnotes", [note["rowkey"], "nonsense"]) == [note]  # type: ignore[list-item]
    assert source.fetch("patient", []) == []


def test_fetch_by_the_executors_composite_source_id(source: DentrixSource) -> None:
    """Delta's retry queue fetches by the id the executor built (key parts joined with '-'), not by rowkey."""
    from executor.staging import source_id_of

    for entity, key in (("recallpending", ("patid", "recallid")), ("docattach", ("docid", "attachtotype", "attachtoentityid"))):
        records = _all(source, entity)[:5]
        ids = [source_id_of(r, key) for r in reversed(records)]
        assert all(":" not in i for i in ids)  # the executor's form, not rowkey's
        assert source.fetch(entity, ids) == list(reversed(records)), entity
        assert source.fetch(entity, [r["rowkey"] for r in records]) == records  # type: ignore[misc]
    assert source.fetch("recallpending", ["1-2-3", "x-y", "1:2:3"]) == []


def test_sqlalchemy_url_reads_the_same(source: DentrixSource, practice: tuple[Path, PracticeStats]) -> None:
    via_url = open_source("dentrix", {"url": f"sqlite:///{practice[0]}"}, Path("."))
    try:
        assert via_url.count("patient") == source.count("patient")
        assert next(iter(via_url.pages("fullproclog", page_size=50))).records == next(iter(source.pages("fullproclog", page_size=50))).records
        assert via_url.fetch("patient", ["5"]) == source.fetch("patient", ["5"])
        assert via_url.introspect(profile=False).entity("patient").field("guarid").reference == "patient"
    finally:
        via_url.close()


def test_demo_kind_opens_the_workspace_practice(tmp_path: Path) -> None:
    src = open_source("demo", {"path": "source/practice.db", "patients": 60, "sites": 1, "seed": 2}, tmp_path)
    try:
        assert (tmp_path / "source" / "practice.db").exists()  # regenerated when missing
        assert src.count("patient") == 60 and src.name == "dentrix"
    finally:
        src.close()


# -- CSV exports --------------------------------------------------------------------------------
def _export(db_path: Path, folder: Path, tables: list[str]) -> None:
    folder.mkdir()
    with sqlite3.connect(db_path) as db:
        for table in tables:
            cur = db.execute(f"SELECT * FROM {table}")
            with (folder / f"{table}.csv").open("w", encoding="cp1252", newline="") as f:
                writer = csv.writer(f)
                writer.writerow([d[0] for d in cur.description])
                writer.writerows(cur)


def test_csv_export_folder_in_cp1252(source: DentrixSource, practice: tuple[Path, PracticeStats], tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    _export(practice[0], folder, ["patient", "address", "appt", "fullproclog", "rsc", "fullnotes"])
    exported = from_settings({"path": str(folder)}, Path("."))
    try:
        assert set(exported.introspect(profile=False).entity_names) == {"patient", "address", "appt", "fullproclog", "rsc", "fullnotes"}
        assert _all(exported, "patient") == _all(source, "patient")
        assert _all(exported, "fullproclog")[:200] == _all(source, "fullproclog")[:200]
        names = [p["lastname"] + p["firstname"] for p in _all(exported, "patient")]  # type: ignore[operator]
        assert any(any(ch in n for ch in "éñüöëç’") for n in names)
    finally:
        exported.close()


def test_patient_only_export_is_enough(practice: tuple[Path, PracticeStats], tmp_path: Path) -> None:
    _export(practice[0], tmp_path / "exports", ["patient"])
    exported = from_settings({"path": str(tmp_path / "exports")}, Path("."))
    try:
        assert exported.introspect(profile=False).entity_names == ("patient",)
    finally:
        exported.close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "customers.csv").write_text("id\n1\n", encoding="cp1252")
    src = from_settings({"path": str(other)}, Path("."))
    with pytest.raises(SourceError, match="not a Dentrix database: table"):
        src.count("patient")
    src.close()


def test_ragged_csv_export_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for table in ("patient", "address", "appt"):
        (folder / f"{table}.csv").write_text("a,b\n1,2\n", encoding="cp1252")
    (folder / "fullproclog.csv").write_text("procid,amt\n1,2.50\n2,3.00,7\n", encoding="cp1252")
    with pytest.raises(SourceError, match=r"fullproclog.csv: line 3 has 3 fields"):
        from_settings({"path": str(folder)}, Path("."))


# -- errors -------------------------------------------------------------------------------------
def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        from_settings({"path": str(tmp_path / "nope.db")}, Path("."))
    assert "does not exist" in _one_line(exc)


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    bad = tmp_path / "practice.db"
    bad.write_text("hello")
    with pytest.raises(SourceError) as exc:
        from_settings({"path": str(bad)}, Path("."))
    assert "not a SQLite database" in _one_line(exc)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "practice.db"
    locked.write_bytes(b"SQLite format 3\x00")
    locked.chmod(0)
    with pytest.raises(SourceError) as exc:
        from_settings({"path": str(locked)}, Path("."))
    assert "permission denied" in _one_line(exc)


def test_not_a_dentrix_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    src = from_settings({"path": str(other)}, Path("."))
    with pytest.raises(SourceError) as exc:
        src.introspect()
    assert "not a Dentrix database" in _one_line(exc) and "patient" in str(exc.value)
    src.close()


def test_odbc_env_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BW_TEST_DENTRIX_ODBC", raising=False)
    with pytest.raises(ConfigError) as exc:
        from_settings({"odbc_env": "BW_TEST_DENTRIX_ODBC"}, Path("."))
    assert "BW_TEST_DENTRIX_ODBC" in _one_line(exc)


def test_odbc_without_pyodbc_or_with_a_wrong_string(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "DSN=c-treeACE ODBC Driver;host=127.0.0.1;UID=u;PWD=hunter2;Database=DentrixSQL;port=1"
    monkeypatch.setenv("BW_TEST_DENTRIX_ODBC", secret)
    with pytest.raises((ConfigError, SourceError)) as exc:
        from_settings({"odbc_env": "BW_TEST_DENTRIX_ODBC"}, Path("."))
    text = _one_line(exc)
    assert "hunter2" not in text and ("pyodbc" in text or "ODBC" in text)


def test_unreachable_database_url(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as exc:
        from_settings({"url": f"sqlite:///{tmp_path}/no/such/dir/x.db"}, Path("."))
    assert "Could not reach" in _one_line(exc)


def test_url_without_a_driver() -> None:
    with pytest.raises(ConfigError) as exc:
        from_settings({"url": "mssql+nosuchdriver://u:secretpw@db.example/Dentrix"}, Path("."))
    assert "secretpw" not in _one_line(exc)


def test_no_location_given() -> None:
    with pytest.raises(ConfigError, match="needs path, url or odbc_env"):
        from_settings({"kind": "dentrix"}, Path("."))
