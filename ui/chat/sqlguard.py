"""Read-only SQL over the ledger for the chat: one SELECT on allowed tables, checked twice.

First sqlglot parses the statement and rejects anything but a single SELECT (CTEs and
set operations of SELECTs allowed) over allowed tables with allowed functions. Then it
runs on a read-only connection (`mode=ro`, `query_only`) under an SQLite authorizer that
denies every action but reading, so a statement that slips past the parser still cannot
write, attach, change pragmas or touch files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from mapper.errors import BridgeworkError

ALLOWED_FUNCTIONS = frozenset(
    {
        "count", "sum", "avg", "min", "max", "total", "group_concat", "coalesce", "ifnull", "nullif", "iif",
        "lower", "upper", "length", "substr", "substring", "trim", "ltrim", "rtrim", "replace", "instr", "round",
        "abs", "date", "time", "datetime", "strftime", "julianday", "unixepoch", "cast", "case", "printf", "like",
        "glob", "typeof", "json_extract",
    }
)
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.Create, exp.Alter, exp.Pragma, exp.Attach,
    exp.Detach, exp.Command, exp.Transaction, exp.Commit, exp.Rollback, exp.Merge, exp.Set, exp.Use,
)
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


class UnsafeSQL(BridgeworkError):
    """The statement is not a single read-only SELECT over ledger tables."""


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    # Known functions: the name SQLite itself would see (e.g. TimeToStr renders as STRFTIME).
    # Implicit conversions sqlglot adds render without a call ("started_at"): not a function call.
    text = node.sql(dialect="sqlite")
    return text.split("(", 1)[0].strip().lower() if "(" in text else ""


def check_sql(sql: str, allowed_tables: Iterable[str]) -> exp.Expression:
    """The parsed statement if it is one safe SELECT; UnsafeSQL (saying why) otherwise."""
    allowed = {t.lower() for t in allowed_tables}
    try:
        statements = [s for s in sqlglot.parse(sql, read="sqlite") if s is not None]
    except ParseError:
        raise UnsafeSQL("That SQL does not parse.", hint="Ask in plain words instead.") from None
    if len(statements) != 1:
        raise UnsafeSQL("Only one statement at a time is allowed.")
    tree = statements[0]
    if not isinstance(tree, (exp.Select, exp.Union, exp.Except, exp.Intersect)):
        raise UnsafeSQL(f"Only SELECT is allowed, not {type(tree).__name__.upper()}.")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise UnsafeSQL(f"{type(node).__name__.upper()} is not allowed: the chat only reads the ledger.")
        if isinstance(node, exp.Into):
            raise UnsafeSQL("SELECT INTO is not allowed.")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if table.args.get("db") or table.args.get("catalog"):
            raise UnsafeSQL("Other databases cannot be read.")
        if name not in allowed and name not in ctes:
            raise UnsafeSQL(f"Table '{name}' is not one the chat may read.", hint=f"Allowed: {', '.join(sorted(allowed))}.")
    for func in tree.find_all(exp.Func):
        if isinstance(func, (exp.Case, exp.If, exp.Cast)):
            continue
        name = _function_name(func)
        if name and name not in ALLOWED_FUNCTIONS:
            raise UnsafeSQL(f"Function '{name}' is not allowed in chat queries.")
    return tree


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action not in _READ_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in ALLOWED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def run_readonly(db_path: Path, sql: str, allowed_tables: Iterable[str], *, limit: int = 200) -> list[dict[str, Any]]:
    """Check then run `sql` on a read-only connection; at most `limit` rows as dicts."""
    allowed = list(allowed_tables)
    check_sql(sql, allowed)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_authorizer)
        try:
            cursor = conn.execute(sql)
        except sqlite3.DatabaseError as exc:
            raise UnsafeSQL(f"The ledger refused that query ({type(exc).__name__}).") from None
        columns = [d[0] for d in cursor.description or ()]
        return [dict(zip(columns, row)) for row in cursor.fetchmany(limit)]
    finally:
        conn.close()
