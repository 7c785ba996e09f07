"""Dentrix as a source: G-series over ODBC, Enterprise over SQL Server, a SQLite copy or CSV exports.

Settings ([source] in bridgework.toml), one of:
  path      a SQLite file in the Dentrix layout, or a folder of CSV exports named after the
            tables (patient.csv, appt.csv, ...; cp1252 unless they decode as UTF-8)
  url       any SQLAlchemy URL (Dentrix Enterprise on SQL Server; SQLite for tests)
  odbc_env  name of an environment variable holding the ODBC connection string that the
            Dentrix Developer Program issued (it contains PWD, so never the file)
For kind "demo", `path` is relative to the workspace and the practice is regenerated from
`patients`/`sites`/`seed` when the file is missing.

Records are normalised from the catalogue (`_dentrix_catalogue`): char columns trimmed,
'' and the 0s that mean "none" become None, money Decimal, dates date, timestamps datetime,
bit columns bool. Appointments gain `start_datetime` (apptdate + timehr + timemin); tables
with a composite key gain `rowkey` ("part:part"), their source id (fetch() also takes "part-part").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.base import Page, Record
from connectors.sources._dentrix_catalogue import REQUIRED_TABLES, TABLE_INDEX, TABLES, Column, Table
from connectors.sources._dentrix_sql import (
    AlchemyDatabase, Database, OdbcDatabase, SqliteDatabase, count_query, fetch_query, page_query,
)
from mapper.errors import ConfigError, SourceError
from mapper.profile import profile_records
from mapper.schema import Entity, Field, FieldType, Schema

START = "start_datetime"
ROWKEY = "rowkey"
_CENT = Decimal("0.01")
_EMPTY_DATES = {"", "1899-12-30", "1900-01-01", "0001-01-01"}
_FETCH_CHUNK = 200
_NATIVE_TYPES: tuple[tuple[str, FieldType], ...] = (
    ("BIT", "bool"), ("BOOL", "bool"), ("INT", "int"), ("MONEY", "money"), ("DEC", "decimal"), ("NUM", "decimal"),
    ("REAL", "decimal"), ("FLOA", "decimal"), ("DOUB", "decimal"), ("DATETIME", "datetime"), ("TIMESTAMP", "datetime"),
    ("DATE", "date"), ("TEXT", "text"), ("CLOB", "text"),
)

__all__ = ["DentrixSource", "from_settings"]


# -- value normalisers (called from the generated row converters) ------------------------------
def _cell(value: Any) -> Any:
    """A value of a column the catalogue does not know: trimmed text, Decimal for floats."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bytes):
        return value.decode("cp1252").strip() or None
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip() or "x")
    except ValueError:
        try:
            return int(Decimal(str(value).strip()))
        except InvalidOperation:
            return None


def _bool(value: Any) -> bool | None:
    number = _int(value)
    return None if number is None else number != 0


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return None if value.isoformat() in _EMPTY_DATES else value
    text = str(value).strip()[:10]
    if text in _EMPTY_DATES:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return datetime.strptime(text, "%m/%d/%Y").date()
        except ValueError:
            return None


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return None if value.date().isoformat() in _EMPTY_DATES else value
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = str(value).strip()
    if text[:10] in _EMPTY_DATES:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        day = _date(text)
        return None if day is None else datetime.combine(day, time())


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(_CENT)
    try:
        if isinstance(value, int):  # bools as 0/1, like the memo that shares their entries
            return Decimal(int(value)).quantize(_CENT)
        return Decimal(str(value).strip().replace("$", "").replace(",", "")).quantize(_CENT)
    except InvalidOperation:
        return None


def _start(day: Any, hour: Any, minute: Any) -> datetime | None:
    start = _date(day)
    if start is None:
        return None
    h, m = _int(hour) or 0, _int(minute) or 0
    return datetime(start.year, start.month, start.day, min(h, 23), min(m, 59))


class _Memo(dict[Any, Any]):
    """Results of one normaliser by raw value, filled on first sight and bounded.

    Dates, money, codes and bits repeat a lot (a ledger has a few hundred distinct amounts
    in a million rows), so one dict lookup replaces a call per value. Only values of `kinds`
    are memoised, chosen so that equal keys of different types (1 == 1.0) give equal results:
    a memoised result is always what the normaliser gives for that very value.
    """

    __slots__ = ("fn", "kinds", "limit")

    def __init__(self, fn: Callable[[Any], Any], kinds: tuple[type, ...], limit: int) -> None:
        super().__init__()
        self.fn = fn
        self.kinds = frozenset(kinds)
        self.limit = limit

    def __missing__(self, value: Any) -> Any:
        result = self.fn(value)
        if value.__class__ in self.kinds and len(self) < self.limit:
            self[value] = result
        return result


def _clock(hm: tuple[int | None, int | None]) -> time:
    """Start time of an appointment from its (already normalised) hour and minute, as _start() does it."""
    return time(min(hm[0] or 0, 23), min(hm[1] or 0, 59))


_NONE = type(None)
_CACHE_LIMIT = 100_000
# Money: int 5 and float 5.0 both give Decimal('5.00'). Dates: text only (20240101 parses, 20240101.0 does not).
_MONEY = _Memo(_money, (str, int, float, _NONE), _CACHE_LIMIT)
_DATE = _Memo(_date, (str, date, datetime, _NONE), _CACHE_LIMIT)
_BOOL = _Memo(_bool, (str, int, float, bool, _NONE), 10_000)
_TIME = _Memo(_clock, (tuple,), 10_000)
_HELPERS = {
    "_cell": _cell, "_int": _int, "_bool": _bool, "_date": _date, "_datetime": _datetime, "_money": _money, "_start": _start,
    "_MONEY": _MONEY, "_DATE": _DATE, "_BOOL": _BOOL, "_TIME": _TIME, "_combine": datetime.combine,
    "_fromiso": datetime.fromisoformat,
}


def _expression(col: Column | None, i: int) -> str:
    """Python source normalising r[i] for one column (fast paths inline)."""
    if col is None:
        return f"_cell(r[{i}])"
    kind = col.kind
    if kind in ("char", "text"):
        return f"((v.strip() or None) if (v := r[{i}]).__class__ is str else _cell(v))"
    if kind in ("int", "code"):
        expr = f"(v if (v := r[{i}]).__class__ is int else _int(v))"
        return f"({expr} or None)" if col.zero_is_missing else expr
    if kind == "bit":
        return f"_BOOL[r[{i}]]"
    if kind == "date":
        return f"_DATE[r[{i}]]"
    # Timestamps rarely repeat: a fast path for ISO text after 1900-01-01 (Dentrix's "no date"), the rest to the helper.
    if kind == "datetime":
        return f"(_fromiso(v) if (v := r[{i}]).__class__ is str and len(v) == 19 and v > '1900-01-02' else _datetime(v))"
    return f"_MONEY[r[{i}]]"


def _fast_expression(col: Column | None, i: int) -> str:
    """Python source normalising r[i] when the value has the type a Dentrix SQLite file holds.

    Text is assumed str and timestamps ISO text: anything else raises TypeError or ValueError,
    and the row goes to the general code (_expression), which gives the same record.
    """
    if col is not None and col.kind in ("char", "text"):
        return f"(_strip(r[{i}]) or None)"  # str.strip itself: TypeError for None, bytes, numbers
    if col is not None and col.kind == "datetime":  # None, numbers, datetimes cannot be compared with str; bad text: ValueError
        return f"(_fromiso(v) if (v := r[{i}]) > '1900-01-02' else _datetime(v))"
    return _expression(col, i)


def _compile_converter(table: Table | None, columns: Sequence[str], key: Sequence[str]) -> _Converters:
    """Functions turning one database row into a normalised record.

    Generated once per table as straight-line code: a per-value loop over converter
    functions costs several times more, and extraction speed is what a migration waits on.
    Two bodies: a fast one for rows with the usual types (str text, ISO timestamps), and the
    general one for any other row. Both give the same record for the same row; `general`
    skips the fast attempt. (Trimming and '' -> NULL in SQL were measured: SQLite's function
    calls cost more than str.strip here.)
    """
    cols = [table.column(name) if table else None for name in columns]
    general = "{" + ", ".join(f"{name!r}: {_expression(col, i)}" for i, (name, col) in enumerate(zip(columns, cols))) + "}"
    fast = "{" + ", ".join(f"{name!r}: {_fast_expression(col, i)}" for i, (name, col) in enumerate(zip(columns, cols))) + "}"
    derived = []
    if table is not None and table.name == "appt" and {"apptdate", "timehr", "timemin"} <= set(columns):
        # d['apptdate'] is already a date or None, timehr/timemin ints or None: what _start() gives, without re-parsing.
        derived.append(f"d[{START!r}] = None if (s := d['apptdate']) is None else _combine(s, _TIME[(d['timehr'], d['timemin'])])")
    if len(key) > 1:
        derived.append(f"d[{ROWKEY!r}] = " + " + ':' + ".join(f"str(d[{k!r}] if d[{k!r}] is not None else 0)" for k in key))
    lines = [
        "def convert(r):",
        "    try:",
        f"        d = {fast}",
        *(f"        {line}" for line in derived),
        "        return d",
        "    except (TypeError, ValueError):",
        "        pass",
        "    slow[0] += 1",
        f"    d = {general}",
        *(f"    {line}" for line in derived),
        "    return d",
        "def general(r):",
        f"    d = {general}",
        *(f"    {line}" for line in derived),
        "    return d",
    ]
    slow = [0]
    namespace: dict[str, Any] = {**_HELPERS, "slow": slow, "_strip": str.strip}
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from catalogue names only
    return _Converters(namespace["convert"], namespace["general"], slow)


def _key_parts(source_id: str, kinds: Sequence[str]) -> tuple[Any, ...] | None:
    """The key values a source id names (None when it names none): "part:part" or "part-part" for composite keys."""
    if len(kinds) == 1:
        texts = [source_id]
    else:
        texts = source_id.split(":")
        if len(texts) != len(kinds) and "char" not in kinds:  # integer parts only, so '-' separates (and may sign)
            found = re.fullmatch("-".join([r"\s*(-?\d+|None)\s*"] * len(kinds)), source_id)
            texts = list(found.groups()) if found else []
        if len(texts) != len(kinds):
            return None
    parts: list[Any] = []
    for text, kind in zip(texts, kinds):
        if kind == "char":
            parts.append(text)
        else:
            number = 0 if text.strip() == "None" else _int(text)
            if number is None:
                return None
            parts.append(number)
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class _Converters:
    """A table's row converters: `fast` (tries the usual types first) and `general`; `slow` counts fast misses."""

    fast: Callable[[Sequence[Any]], Record]
    general: Callable[[Sequence[Any]], Record]
    slow: list[int]


@dataclass(frozen=True, slots=True)
class _TableInfo:
    """One readable table: its columns in database order, key and row converter."""

    name: str
    columns: tuple[str, ...]
    native: tuple[str, ...]
    known: Table | None
    key: tuple[str, ...]
    converters: _Converters

    @property
    def convert(self) -> Callable[[Sequence[Any]], Record]:
        """The row converter (fast attempt, general fallback)."""
        return self.converters.fast

    @property
    def id_field(self) -> str | None:
        """The record field that holds the source id."""
        if not self.key:
            return None
        return self.key[0] if len(self.key) == 1 else ROWKEY


class DentrixSource:
    """A Dentrix practice database, read only."""

    name = "dentrix"

    def __init__(self, db: Database, *, label: str, cleanup: Callable[[], None] | None = None, required: Sequence[str] = REQUIRED_TABLES) -> None:
        self.db = db
        self.label = label
        self.required = tuple(required)
        self._cleanup = cleanup
        self._info: dict[str, _TableInfo] | None = None

    # -- catalogue ---------------------------------------------------------------------------
    def _tables(self) -> dict[str, _TableInfo]:
        if self._info is not None:
            return self._info
        present = {t.lower(): t for t in self.db.tables() if not t.lower().startswith(("_bw_", "sqlite_"))}
        missing = [t for t in self.required if t not in present]
        if missing:
            raise SourceError(
                f"{self.label} is not a Dentrix database: table(s) {', '.join(missing)} missing.",
                hint="Point the source at the Dentrix database (or the folder of its CSV exports) and run again.",
            )
        ordered = [t.name for t in TABLES if t.name in present] + sorted(n for n in present if n not in TABLE_INDEX)
        info = {}
        for name in ordered:
            cols = self.db.columns(present[name])
            columns = tuple(c.lower() for c, _ in cols)
            known = TABLE_INDEX.get(name)
            key = known.key if known and set(known.key) <= set(columns) else ()
            info[name] = _TableInfo(name, columns, tuple(t for _, t in cols), known, key, _compile_converter(known, columns, key))
        self._info = info
        return info

    def _table(self, entity: str) -> _TableInfo:
        tables = self._tables()
        if entity not in tables:
            raise SourceError(f"The Dentrix source has no entity '{entity}'.", hint="Run bridgework introspect to list them.")
        return tables[entity]

    # -- Source ------------------------------------------------------------------------------
    def count(self, entity: str) -> int:
        """Rows in the table now."""
        info = self._table(entity)
        return int(self.db.rows(count_query(info.name, self.db.dialect), {})[0][0])

    def pages(self, entity: str, *, cursor: str | None = None, page_size: int = 1000, changed_since: datetime | None = None) -> Iterator[Page]:
        """Keyset pages in key order; the cursor is the last key (JSON list), so a run resumes after it."""
        info = self._table(entity)
        if not info.key:
            raise SourceError(f"{entity} has no key bridgework knows, so it cannot be read page by page.", hint="Leave it out of the mapping (kind skip).")
        if changed_since is not None and "automodifiedtimestamp" not in info.columns:
            raise SourceError(f"{entity} has no automodifiedtimestamp, so changes cannot be found.", hint="Run a full load for it instead of a delta.")
        after = json.loads(cursor) if cursor else None
        converters = info.converters
        convert = converters.fast
        positions = [info.columns.index(k) for k in info.key]
        values: dict[str, Any] = {}
        if changed_since is not None:
            since = changed_since.replace(tzinfo=None)
            values["since"] = since.isoformat(sep=" ") if self.db.dialect == "sqlite" else since
        # Written once, transpiled once per shape: the first page and every page after a cursor.
        queries = {resume: page_query(info.name, info.columns, info.key, resume=resume, since=changed_since is not None,
                                      limit=page_size, dialect=self.db.dialect) for resume in (False, True)}
        while True:
            query = queries[after is not None]
            if after is not None:
                values.update({f"k{i}": v for i, v in enumerate(after)})
            rows = self.db.rows(query, values)
            if not rows:
                return
            after = [rows[-1][p] for p in positions]
            missed = converters.slow[0]
            records = [convert(r) for r in rows]
            if convert is converters.fast and converters.slow[0] - missed > len(rows) // 2:
                convert = converters.general  # this database's rows are not of the usual types: stop trying
            yield Page(records, json.dumps(after, default=str))
            if len(rows) < page_size:
                return

    def fetch(self, entity: str, ids: Sequence[str]) -> list[Record]:
        """Records whose source id is in `ids`, in the order asked.

        A source id is the key, or for composite keys its parts joined with ':' (the `rowkey`
        field) or '-' (how the executor joins key fields, executor.staging.source_id_of);
        integer parts may read "None" for the 0 that Dentrix stores and bridgework reads as None.
        """
        info = self._table(entity)
        if not info.key or not ids:
            return []
        kinds = [info.known.column(k).kind if info.known and info.known.column(k) else "int" for k in info.key]
        trim = [k for k, kind in zip(info.key, kinds) if kind == "char"]
        wanted = [_key_parts(str(source_id), kinds) for source_id in ids]
        out: list[Record] = []
        for start in range(0, len(ids), _FETCH_CHUNK):
            chunk = wanted[start:start + _FETCH_CHUNK]
            values: dict[str, Any] = {}
            for i, parts in enumerate(chunk):  # ids that did not split into key parts match nothing
                for j in range(len(info.key)):
                    values[f"i{i}_{j}"] = parts[j] if parts is not None else None
            query = fetch_query(info.name, info.columns, info.key, len(chunk), self.db.dialect, trim=trim)
            out.extend(info.convert(r) for r in self.db.rows(query, values))
        order = {parts: n for n, parts in enumerate(wanted) if parts is not None}

        def position(record: Record) -> int:
            parts = tuple(record.get(k) if kind == "char" else (record.get(k) or 0) for k, kind in zip(info.key, kinds))
            return order.get(parts, len(order))

        return sorted(out, key=position)

    def introspect(self, *, profile: bool = True) -> Schema:
        """Entities from the database catalogue, enriched with Dentrix knowledge and value profiles."""
        entities = [self._entity(info, profile) for info in self._tables().values()]
        return Schema(system=self.name, entities=tuple(entities), version=self._version())

    def _version(self) -> str:
        if "options" not in self._tables():
            return ""
        try:
            rows = [r for r in self._records("options") if r.get("optionkey") == "Data_Version"]
        except SourceError:
            return ""
        return str(rows[0].get("optionvalue") or "") if rows else ""

    def _records(self, entity: str, limit: int | None = None) -> Iterator[Record]:
        seen = 0
        for page in self.pages(entity, page_size=5000):
            for record in page.records:
                yield record
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def _entity(self, info: _TableInfo, profile: bool) -> Entity:
        fields = [self._field(info, name, native) for name, native in zip(info.columns, info.native)]
        if info.known is not None and info.known.name == "appt" and {"apptdate", "timehr", "timemin"} <= set(info.columns):
            fields.append(Field(name=START, type="datetime", label="Start", description="Derived: apptdate + timehr + timemin.", readonly=True, native_type="derived"))
        if len(info.key) > 1:
            fields.insert(0, Field(name=ROWKEY, type="string", label="Record key", description=f"Derived source id: {':'.join(info.key)}.", is_key=True, unique=True, readonly=True, native_type="derived"))
        if profile and info.key:
            profiles = profile_records(self._records(info.name), [f.name for f in fields])
            fields = [replace(f, profile=profiles.get(f.name)) for f in fields]
        known = info.known
        return Entity(
            name=info.name, fields=tuple(fields), label=known.label if known else info.name,
            description=known.description if known else "A table bridgework has no Dentrix knowledge of.",
            key=info.id_field, row_count=self.count(info.name),
        )

    @staticmethod
    def _field(info: _TableInfo, name: str, native: str) -> Field:
        col = info.known.column(name) if info.known else None
        is_key = len(info.key) == 1 and name == info.key[0]
        if col is None:
            upper = native.upper()
            kind = next((t for prefix, t in _NATIVE_TYPES if prefix in upper), "string")
            return Field(name=name, type=kind, native_type=native, is_key=is_key, unique=is_key)
        return Field(
            name=name, type=col.field_type, label=col.label, description=col.description, required=is_key,
            max_length=col.width if col.kind == "char" else None, enum_values=col.codes, reference=col.reference,
            is_key=is_key, unique=is_key, native_type=native or col.sql_type,
        )

    def close(self) -> None:
        """Close the connection and drop staged CSV exports."""
        self.db.close()
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None


# -- CSV exports --------------------------------------------------------------------------------
def stage_csv_exports(folder: Path) -> tuple[Path, Callable[[], None]]:
    """Copy a folder of Dentrix CSV exports into a temporary SQLite file; (file, cleanup)."""
    import sqlite3

    from connectors.sources.csvsource import SUFFIXES, detect_encoding, open_table

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(f"{folder} holds no CSV exports.", hint="Export the Dentrix tables as CSV (patient.csv, appt.csv, ...) into that folder.")
    work = Path(tempfile.mkdtemp(prefix="bw-dentrix-"))

    def cleanup() -> None:
        shutil.rmtree(work, ignore_errors=True)

    target = work / "exports.db"
    db = sqlite3.connect(target)
    try:
        for path in files:
            name = path.stem.lower()
            encoding = None if path.suffix.lower() == ".xlsx" else detect_encoding(path, default="cp1252")
            table = open_table(path, name, encoding=encoding)
            known = TABLE_INDEX.get(name)
            header = [h.lower() for h in table.header]
            types = [(known.column(h).sql_type if known and known.column(h) else "TEXT") for h in header]
            db.execute(f'CREATE TABLE "{name}" ({", ".join(f"{h} {t}" for h, t in zip(header, types))})')
            insert = f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(header))})'
            batch: list[list[Any]] = []
            for _line, values in table.rows():
                batch.append(values)
                if len(batch) >= 5000:
                    db.executemany(insert, batch)
                    batch.clear()
            db.executemany(insert, batch)
            if known and set(known.key) <= set(header):
                db.execute(f'CREATE INDEX "{name}_key" ON "{name}" ({", ".join(known.key)})')
        db.commit()
    except BaseException:
        db.close()
        cleanup()
        raise
    db.close()
    return target, cleanup


def from_settings(options: Mapping[str, Any], root: Path) -> DentrixSource:
    """The Dentrix (or demo) source described by [source] settings."""
    kind = options.get("kind", "dentrix")
    if options.get("odbc_env"):
        name = str(options["odbc_env"])
        connection = os.environ.get(name)
        if not connection:
            raise ConfigError(f"Environment variable {name} is not set.", hint=f"Set {name} to the ODBC connection string from the Dentrix Developer Program, then run again.")
        return DentrixSource(OdbcDatabase(connection), label="the Dentrix ODBC database")
    if options.get("url"):
        db = AlchemyDatabase(str(options["url"]))
        return DentrixSource(db, label=f"the database at {db.where}")
    if not options.get("path"):
        raise ConfigError(f"The {kind} source needs path, url or odbc_env.", hint="Pass --source-path FILE_OR_FOLDER or --source-url URL to bridgework init.")
    path = Path(str(options["path"])).expanduser()
    path = path if path.is_absolute() else root / path
    if kind == "demo" and not path.exists():
        from connectors.sources.demo import generate_practice

        generate_practice(path, patients=int(options.get("patients", 500)), sites=int(options.get("sites", 1)), seed=int(options.get("seed", 7)))
    if path.is_dir():
        staged, cleanup = stage_csv_exports(path)
        # An export may hold only some tables (Office Manager exports patients only): patient suffices.
        return DentrixSource(SqliteDatabase(staged), label=f"the CSV exports in {path.name}", cleanup=cleanup, required=("patient",))
    return DentrixSource(SqliteDatabase(path), label=path.name)
