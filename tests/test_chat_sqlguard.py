"""The chat's SQL guard: one SELECT over allowed ledger tables; everything else refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ui.chat.sqlguard import UnsafeSQL, check_sql, run_readonly

TABLES = ["runs", "records"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT, started_at TEXT);"
        "CREATE TABLE records (run_id INT, map_id TEXT, state TEXT, error_code TEXT);"
        "CREATE TABLE before_images (id INT, body TEXT);"
        "INSERT INTO runs VALUES (1, 'full', '2026-11-23T10:00:00');"
        "INSERT INTO records VALUES (1, 'patient->person', 'done', NULL), (1, 'patient->person', 'rejected', 'invalid_email');"
    )
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM records WHERE state = 'done'",
        "SELECT state, count(*) AS n FROM records GROUP BY state ORDER BY n DESC",
        "WITH r AS (SELECT * FROM records) SELECT lower(state) FROM r",
        "SELECT strftime('%Y', started_at) FROM runs",
        "SELECT CASE WHEN state = 'done' THEN 1 ELSE 0 END FROM records",
        "SELECT * FROM runs UNION SELECT * FROM runs",
    ],
)
def test_safe_selects_pass(sql: str, ledger: Path) -> None:
    check_sql(sql, TABLES)
    run_readonly(ledger, sql, TABLES)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM records",
        "UPDATE records SET state = 'done'",
        "INSERT INTO runs VALUES (2, 'x', 'y')",
        "DROP TABLE runs",
        "SELECT 1; DROP TABLE runs",
        "SELECT * FROM runs; SELECT * FROM records",
        "PRAGMA table_info(runs)",
        "PRAGMA writable_schema = 1",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "DETACH DATABASE main",
        "SELECT * FROM before_images",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pragma_table_info('runs')",
        "SELECT load_extension('/tmp/evil.so')",
        "SELECT readfile('/etc/passwd')",
        "SELECT writefile('/tmp/x', 'y')",
        "SELECT * FROM other.runs",
        "CREATE TABLE x (a INT)",
        "VACUUM INTO '/tmp/copy.db'",
        "BEGIN; DELETE FROM runs; COMMIT",
        "SELECT fts3_tokenizer('simple')",
        "REPLACE INTO runs VALUES (1, 'x', 'y')",
        "not sql at all ((",
    ],
)
def test_hostile_sql_is_refused(sql: str, ledger: Path) -> None:
    with pytest.raises(UnsafeSQL) as info:
        run_readonly(ledger, sql, TABLES)
    assert "\n" not in str(info.value)
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 2


def test_the_connection_itself_is_read_only(ledger: Path) -> None:
    from ui.chat import sqlguard

    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    conn.set_authorizer(sqlguard._authorizer)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM records")
