"""The demo practice generator: reproducible, the real Dentrix/Dentally layouts, problems at known rates."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from connectors.sources.demo import RATES, TRUTH_KINDS, PracticeStats, generate_practice
from mapper.errors import ConfigError

PATIENTS = 4000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s,]+\.[a-z]{2,}$")


@pytest.fixture(scope="module")
def dentrix(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PracticeStats]:
    path = tmp_path_factory.mktemp("demo") / "practice.db"
    return path, generate_practice(path, patients=PATIENTS, sites=2, seed=11)


@pytest.fixture(scope="module")
def dentally(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PracticeStats]:
    path = tmp_path_factory.mktemp("demo") / "dentally.db"
    return path, generate_practice(path, patients=PATIENTS, sites=2, seed=11, layout="dentally")


def _db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("layout", ["dentrix", "dentally"])
def test_same_arguments_give_identical_files(tmp_path: Path, layout: str) -> None:
    a, b, c = (tmp_path / f"{n}.db" for n in "abc")
    generate_practice(a, patients=300, sites=2, seed=3, layout=layout)  # type: ignore[arg-type]
    generate_practice(b, patients=300, sites=2, seed=3, layout=layout)  # type: ignore[arg-type]
    generate_practice(c, patients=300, sites=2, seed=4, layout=layout)  # type: ignore[arg-type]
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_smallest_practice_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    stats = generate_practice(tmp_path / "p.db", patients=50, progress=lambda done, total: calls.append((done, total)))
    assert stats.tables["patient"] == 50 and stats.patients == 50
    assert calls[-1] == (50, 50)
    assert "clinic" not in stats.tables  # one site: plain G-series, no Enterprise clinic table
    with _db(tmp_path / "p.db") as db:
        cols = {r[1] for r in db.execute("PRAGMA table_info(patient)")}
    assert "clinicid" not in cols


@pytest.mark.parametrize("kwargs", [{"patients": 0}, {"patients": 1_000_001}, {"patients": 10, "sites": 0}, {"patients": 10, "layout": "opendental"}])
def test_bad_arguments_are_config_errors(tmp_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        generate_practice(tmp_path / "p.db", **kwargs)  # type: ignore[arg-type]


def test_dentrix_tables_and_quirks(dentrix: tuple[Path, PracticeStats]) -> None:
    path, stats = dentrix
    assert stats.tables["patient"] == PATIENTS
    expected = {"patient", "address", "employer", "referral", "rsc", "operatory", "inscarrier", "insured", "appt", "appthist",
                "fullproclog", "proccode", "txcase", "clinicalnote", "fullnotes", "recalltype", "recallpending", "hhitem",
                "hhlinkpat_item", "document", "docattach", "fulldef", "aging", "clinic"}
    assert expected <= set(stats.tables)
    with _db(path) as db:
        # every table carries automodifiedtimestamp, always filled
        for table in expected:
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE automodifiedtimestamp = ''").fetchone()[0] == 0
        # char columns padded to width; no NULLs anywhere in Dentrix tables
        assert db.execute("SELECT MIN(length(lastname)), MAX(length(lastname)) FROM patient").fetchone() == (22, 22)
        assert db.execute("SELECT COUNT(*) FROM patient WHERE emailaddr IS NULL OR pager IS NULL").fetchone()[0] == 0
        # heads of account are their own guarantor; members point at a head
        heads = db.execute("SELECT COUNT(*) FROM patient WHERE guarid = patid").fetchone()[0]
        assert heads == stats.families - stats.guarantor_chain
        # mobile in pager, home phone on the shared address
        assert db.execute("SELECT COUNT(*) FROM patient WHERE trim(pager) <> ''").fetchone()[0] > PATIENTS * 0.5
        assert db.execute("SELECT MAX(ptrcount) FROM address").fetchone()[0] >= 3
        # completed appointments -106; name-only bookings patid 0
        assert db.execute("SELECT COUNT(*) FROM appt WHERE status = -106").fetchone()[0] > 0
        assert db.execute("SELECT COUNT(*) FROM appt WHERE patid = 0 AND trim(patname) <> ''").fetchone()[0] == stats.new_patient_appointment
        # fullproclog: procedures (class 0, chartstatus 105/101), payments (class 1, 90, negative), adjustments (class 2)
        classes = dict(db.execute("SELECT proclogclass, COUNT(*) FROM fullproclog GROUP BY proclogclass").fetchall())
        assert set(classes) == {0, 1, 2}
        assert db.execute("SELECT COUNT(*) FROM fullproclog WHERE proclogclass = 1 AND (amt >= 0 OR chartstatus <> 90)").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM fullproclog WHERE proclogclass = 0 AND chartstatus NOT IN (105, 101)").fetchone()[0] == 0
        codes = [r[0].strip() for r in db.execute("SELECT adacode FROM proccode")]
        assert sum(bool(re.fullmatch(r"D\d{4}", c)) for c in codes) >= len(codes) - 6
        # multi-site, Enterprise style: clinic table and clinicid on patient/appt/fullproclog
        assert db.execute("SELECT COUNT(DISTINCT clinicid) FROM patient").fetchone()[0] == 2
        assert db.execute("SELECT COUNT(*) FROM fullnotes WHERE length(notetext) > 8192").fetchone()[0] == 0


def test_proportions_match_real_practices(dentrix: tuple[Path, PracticeStats]) -> None:
    _path, s = dentrix
    assert 1.45 <= s.patients / s.families <= 1.8  # ~1.6 members per family
    completed_visits_lower = s.tables["appt"] * 0.6
    procedures = s.tables["fullproclog"]
    assert procedures / completed_visits_lower > 2.5
    assert s.inactive_patients + s.archived_patients + s.non_patients > s.active_patients * 0.8


def _truth(path: Path, kind: str) -> list[tuple[int, str, str, str]]:
    with _db(path) as db:
        return db.execute("SELECT grp, entity, record_id, detail FROM _bw_truth WHERE kind = ?", (kind,)).fetchall()


def test_truth_counts_equal_stats(dentrix: tuple[Path, PracticeStats]) -> None:
    path, stats = dentrix
    with _db(path) as db:
        counts = dict(db.execute("SELECT kind, COUNT(*) FROM _bw_truth GROUP BY kind").fetchall())
    assert set(counts) <= set(TRUTH_KINDS)
    for kind in TRUTH_KINDS:
        if kind != "duplicate":
            assert counts.get(kind, 0) == getattr(stats, kind), kind
    assert counts["duplicate"] == 2 * stats.duplicate_groups


def test_problem_rates(dentrix: tuple[Path, PracticeStats]) -> None:
    path, s = dentrix
    with _db(path) as db:
        emails = db.execute("SELECT COUNT(*) FROM patient WHERE trim(emailaddr) <> ''").fetchone()[0]
        mobiles = db.execute("SELECT COUNT(*) FROM patient WHERE trim(pager) <> ''").fetchone()[0]
        procedures = db.execute("SELECT COUNT(*) FROM fullproclog WHERE proclogclass = 0").fetchone()[0]
    assert s.duplicate_records / s.patients == pytest.approx(RATES["duplicate"] * 0.85, abs=0.012)
    assert s.invalid_email / emails == pytest.approx(RATES["invalid_email"], abs=0.012)
    assert s.malformed_phone / mobiles == pytest.approx(RATES["malformed_phone"], abs=0.015)
    assert s.invalid_cdt / procedures == pytest.approx(RATES["invalid_cdt"], abs=0.005)
    assert s.non_ada_code / procedures == pytest.approx(RATES["non_ada_code"], abs=0.005)
    assert s.cp1252_name / s.patients == pytest.approx(RATES["cp1252_name"], abs=0.012)
    assert 0.1 < s.missing_email / s.patients < 0.4
    assert s.provider_no_email == 2  # one in four of 8 providers
    assert s.long_clinical_note >= 1 and s.long_note >= 1
    assert s.orphan_appointment > 0 and s.guarantor_chain > 0 and s.non_patients > 0


def test_truth_matches_the_data(dentrix: tuple[Path, PracticeStats]) -> None:
    path, _stats = dentrix
    with _db(path) as db:
        patients = {r[0]: r[1:] for r in db.execute("SELECT patid, trim(emailaddr), trim(pager), clinicid, famid, birthdate FROM patient")}
        orphans = {r[0] for r in db.execute("SELECT apptid FROM appt WHERE patid <> 0 AND patid NOT IN (SELECT patid FROM patient)")}
        long_notes = {r[0] for r in db.execute("SELECT cnotesid FROM clinicalnote WHERE length(notetext) > 32000")}
    assert {int(r[2]) for r in _truth(path, "orphan_appointment")} == orphans
    assert {int(r[2]) for r in _truth(path, "long_clinical_note")} == long_notes
    invalid = {int(r[2]) for r in _truth(path, "invalid_email")}
    assert invalid and all(not _EMAIL.match(patients[i][0]) for i in invalid)
    missing = {int(r[2]) for r in _truth(path, "missing_email")}
    assert all(patients[i][0] == "" for i in missing)
    # duplicates: each re-registration shares an email or phone with its original; cross-site ones sit at another clinic
    groups: dict[int, list[tuple[int, str]]] = {}
    for grp, _entity, record, detail in _truth(path, "duplicate"):
        groups.setdefault(grp, []).append((int(record), detail))
    assert groups
    for grp, members in groups.items():
        original = patients[grp]
        for pid, detail in members:
            if detail == "original":
                continue
            dup = patients[pid]
            assert dup[0] == original[0] if "same_email" in detail else dup[1] == original[1]
            assert (dup[2] != original[2]) == detail.startswith("cross_site")
    # family members share contact details but are never a duplicate group of each other
    families: dict[int, set[int]] = {}
    for grp, _entity, record, _detail in _truth(path, "family_shared_contact"):
        families.setdefault(grp, set()).add(int(record))
    for members in families.values():
        emails = {patients[m][0] for m in members}
        assert len(emails) == 1
        for dup_members in groups.values():
            assert len(members & {pid for pid, _ in dup_members}) <= 1


def test_dentally_layout(dentally: tuple[Path, PracticeStats], dentrix: tuple[Path, PracticeStats]) -> None:
    path, s = dentally
    resources = {"practice", "sites", "users", "practitioners", "patients", "appointments", "appointment_cancellation_reasons",
                 "treatments", "treatment_plans", "treatment_plan_items", "accounts", "invoices", "invoice_items", "payments",
                 "payment_plans", "recalls"}
    assert set(s.tables) == resources
    assert s.tables["patients"] == PATIENTS
    # the same seeded practice as the Dentrix rendering
    d = dentrix[1]
    assert (s.families, s.duplicate_groups, s.guarantor_chain, s.orphan_appointment) == (d.families, d.duplicate_groups, d.guarantor_chain, d.orphan_appointment)
    assert s.tables["appointments"] == d.tables["appt"]
    assert s.invalid_cdt == 0 and s.long_note == 0
    with _db(path) as db:
        assert db.execute("SELECT COUNT(*) FROM practice").fetchone()[0] == 1
        guid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        assert all(guid.match(r[0]) for r in db.execute("SELECT id FROM sites UNION ALL SELECT id FROM invoice_items LIMIT 500"))
        money = re.compile(r"^-?\d+\.\d+$")
        assert all(money.match(r[0]) for r in db.execute("SELECT amount FROM invoices UNION ALL SELECT amount FROM payments LIMIT 2000"))
        assert db.execute("SELECT COUNT(*) FROM invoice_items WHERE CAST(total_price AS REAL) < 0").fetchone()[0] > 0
        stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")
        assert all(stamp.match(r[0]) and stamp.match(r[1]) for r in db.execute("SELECT start_time, updated_at FROM appointments LIMIT 2000"))
        assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", r[0]) for r in db.execute("SELECT date_of_birth FROM patients"))
        nhs = [r[0] for r in db.execute("SELECT nhs_number FROM patients WHERE nhs_number IS NOT NULL LIMIT 200")]
        assert nhs and all(len(n) == 10 and n.isdigit() for n in nhs)
        states = {r[0] for r in db.execute("SELECT DISTINCT state FROM appointments")}
        assert states <= {"Pending", "Confirmed", "Arrived", "In surgery", "Completed", "Cancelled", "Did not attend"}
        user = db.execute("SELECT user FROM practitioners LIMIT 1").fetchone()[0]
        assert user.startswith("{") and "first_name" in user
        blocks = db.execute("SELECT COUNT(*) FROM appointments WHERE patient_id IS NULL").fetchone()[0]
        assert blocks == s.new_patient_appointment
        assert db.execute("SELECT COUNT(*) FROM users WHERE email IS NULL AND id IN (SELECT id FROM practitioners)").fetchone()[0] == s.provider_no_email
