"""Dentrix queries written once and transpiled per database, and the three ways to reach one.

Queries are written in SQLite syntax with named parameters and transpiled by sqlglot:
`sqlite` (the demo, CSV exports staged into SQLite), `tsql` (Dentrix Enterprise on SQL
Server: `TOP n`) and `ctree`, our name for FairCom c-treeACE SQL as Dentrix G5+ serves it
over ODBC. Assumed for c-tree (reference/sources.md §1.1 only says objects are qualified
`admin.<name>`): it accepts `TOP n` like T-SQL, plain `?` parameters (ODBC), and ANSI
`COUNT(*)`, `IN`, `TRIM`, row-value-free `OR` keyset predicates.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.dialects.tsql import TSQL

from mapper.errors import ConfigError, SourceError


class CTree(TSQL):
    """FairCom c-treeACE SQL as Dentrix G-series serves it (assumed close to T-SQL: TOP n)."""


Dialect = str  # "sqlite" | "tsql" | "ctree"


@dataclass(frozen=True, slots=True)
class Query:
    """A query for one dialect: its text and the order of its parameters (for `?` styles)."""

    sql: str
    params: tuple[str, ...]

    def bind(self, values: dict[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        """Named parameters, or positional ones when the text uses `?`."""
        return tuple(values[name] for name in self.params) if self.params else values


@functools.lru_cache(maxsize=512)
def transpile(sql: str, dialect: Dialect) -> Query:
    """SQLite-syntax `sql` with :named parameters, rendered for `dialect` (cached: pages repeat it)."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    for count in tree.find_all(exp.Count):
        count.set("big_int", None)  # SQLite counts are 64-bit; plain COUNT is what c-tree knows
    if dialect != "ctree":
        return Query(tree.sql(dialect=dialect), ())
    order: list[str] = []

    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db"):
            node.set("db", exp.to_identifier("admin"))
        if isinstance(node, exp.Placeholder):
            order.append(str(node.name))
            return exp.Placeholder()
        return node

    text = tree.transform(qualify).sql(dialect="ctree")
    return Query(text, tuple(order))


def _keyset(key: Sequence[str]) -> str:
    """WHERE condition that resumes after the key values :k0, :k1, ... (no row values: c-tree)."""
    if len(key) == 1:
        return f"{key[0]} > :k0"
    clauses = []
    for i, col in enumerate(key):
        clauses.append("(" + " AND ".join([*(f"{key[j]} = :k{j}" for j in range(i)), f"{col} > :k{i}"]) + ")")
    return "(" + " OR ".join(clauses) + ")"


def page_query(table: str, columns: Sequence[str], key: Sequence[str], *, resume: bool, since: bool, limit: int, dialect: Dialect) -> Query:
    """One keyset page: rows after the cursor key (and changed after :since), in key order."""
    where = []
    if resume:
        where.append(_keyset(key))
    if since:
        where.append("automodifiedtimestamp > :since")
    sql = f"SELECT {', '.join(columns)} FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {', '.join(key)} LIMIT {int(limit)}"
    return transpile(sql, dialect)


def count_query(table: str, dialect: Dialect) -> Query:
    """How many rows `table` holds."""
    return transpile(f"SELECT COUNT(*) FROM {table}", dialect)


def fetch_query(table: str, columns: Sequence[str], key: Sequence[str], n: int, dialect: Dialect, *, trim: Sequence[str] = ()) -> Query:
    """Rows whose key is one of n given keys (:i0_0, :i0_1, ... per key part); char key parts trimmed."""
    parts = [f"TRIM({k})" if k in trim else k for k in key]
    if len(key) == 1:
        where = f"{parts[0]} IN ({', '.join(f':i{i}_0' for i in range(n))})"
    else:
        where = " OR ".join("(" + " AND ".join(f"{p} = :i{i}_{j}" for j, p in enumerate(parts)) + ")" for i in range(n))
    return transpile(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", dialect)


class Database(Protocol):
    """What the Dentrix source needs from a connection."""

    dialect: Dialect

    def tables(self) -> list[str]: ...
    def columns(self, table: str) -> list[tuple[str, str]]: ...
    def rows(self, query: Query, values: dict[str, Any]) -> list[tuple[Any, ...]]: ...
    def close(self) -> None: ...


class SqliteDatabase:
    """A SQLite file opened read only (the demo practice, staged CSV exports)."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise ConfigError(f"{path} does not exist.", hint="Point --source-path (path in [source]) at the Dentrix SQLite file or CSV export folder.")
        try:
            with path.open("rb") as f:
                head = f.read(16)
        except PermissionError:
            raise SourceError(f"Cannot read {path} (permission denied).", hint="Give your user read access to the file and run again.") from None
        if head != b"SQLite format 3\x00":
            raise SourceError(f"{path} is not a SQLite database.", hint="Point path at the Dentrix SQLite file, a folder of CSV exports, or use url / odbc_env for a server.")
        self.path = path
        self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)

    def tables(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]

    def columns(self, table: str) -> list[tuple[str, str]]:
        return [(r[1], r[2]) for r in self.conn.execute(f'PRAGMA table_info("{table}")')]

    def rows(self, query: Query, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(query.sql, query.bind(values)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"Reading {self.path.name} failed ({type(exc).__name__}).", hint="Check the file is a complete copy and run again.") from None

    def close(self) -> None:
        self.conn.close()


class AlchemyDatabase:
    """Any SQLAlchemy URL (Dentrix Enterprise on SQL Server, SQLite, ...)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        try:
            parsed = sa.engine.make_url(url)
        except ArgumentError:
            raise ConfigError("The source url is not a SQLAlchemy URL.", hint="Use e.g. mssql+pyodbc://user@host/Dentrix?driver=ODBC+Driver+18+for+SQL+Server (password in the environment).") from None
        self.where = parsed.host or parsed.database or parsed.drivername
        try:
            self.engine = sa.create_engine(parsed)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(f"No database driver for '{parsed.drivername}' ({type(exc).__name__}).", hint="Install the driver (for SQL Server: pip install 'bridgework[odbc]') and run again.") from None
        self.dialect = {"mssql": "tsql", "sqlite": "sqlite"}.get(parsed.get_backend_name(), parsed.get_backend_name())
        self._error = SQLAlchemyError
        try:
            self.conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise SourceError(f"Could not reach the database at {self.where} ({type(exc).__name__}).", hint="Check the server is running and the url, user and network, then run again.") from None

    def tables(self) -> list[str]:
        import sqlalchemy as sa

        inspector = sa.inspect(self.conn)
        return sorted(inspector.get_table_names() + inspector.get_view_names())

    def columns(self, table: str) -> list[tuple[str, str]]:
        import sqlalchemy as sa

        return [(c["name"], str(c["type"])) for c in sa.inspect(self.conn).get_columns(table)]

    def rows(self, query: Query, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        import sqlalchemy as sa

        try:
            return [tuple(r) for r in self.conn.execute(sa.text(query.sql), values)]
        except self._error as exc:
            raise SourceError(f"Reading from {self.where} failed ({type(exc).__name__}).", hint="Check the connection and run again (it resumes).") from None

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


class OdbcDatabase:
    """Dentrix G-series over ODBC (c-treeACE), with the connection string the DDP issued."""

    dialect: Dialect = "ctree"

    def __init__(self, connection_string: str) -> None:
        try:
            import pyodbc
        except ModuleNotFoundError:
            raise ConfigError("pyodbc is not installed, so bridgework cannot open an ODBC connection.", hint="Install it: pip install 'bridgework[odbc]' (and the c-treeACE ODBC driver), then run again.") from None
        self._error = pyodbc.Error
        try:
            self.conn = pyodbc.connect(connection_string, readonly=True, timeout=15)
        except pyodbc.Error as exc:
            state = exc.args[0] if exc.args else "unknown"
            raise SourceError(f"The ODBC connection to Dentrix failed (SQLSTATE {state}).", hint="Check the connection string from the Dentrix Developer Program, the driver and that the Dentrix server is reachable, then run again.") from None
        # c-treeACE hands back Windows-1252 text for char columns.
        self.conn.setdecoding(pyodbc.SQL_CHAR, encoding="cp1252")

    def tables(self) -> list[str]:
        return sorted({row.table_name for row in self.conn.cursor().tables(schema="admin")})

    def columns(self, table: str) -> list[tuple[str, str]]:
        return [(row.column_name, row.type_name) for row in self.conn.cursor().columns(table=table, schema="admin")]

    def rows(self, query: Query, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in self.conn.cursor().execute(query.sql, query.bind(values)).fetchall()]
        except self._error as exc:
            state = exc.args[0] if exc.args else "unknown"
            raise SourceError(f"A Dentrix ODBC query failed (SQLSTATE {state}).", hint="Check the connection and run again (it resumes).") from None

    def close(self) -> None:
        self.conn.close()
