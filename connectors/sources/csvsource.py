"""Any folder of CSV / XLSX files as a source: one entity per file, types and keys sniffed.

Encoding is detected per file (UTF-8 first, then charset-normalizer; Dentrix exports are
usually cp1252), the dialect with csv.Sniffer, and each column's type from a value profile of
the first rows (mapper.profile). Pages follow file order and the cursor is the data row
number, so a run resumes without re-reading what it already loaded. A file has no modified
time per record, so `changed_since` filters only when the file has a modified-at column.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

from connectors.base import Page, Record
from mapper.errors import ConfigError, SourceError
from mapper.profile import infer_type, profile_records
from mapper.schema import Entity, Field, FieldType, Schema, ValueProfile

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
ROW_NUMBER = "row_number"
SNIFF_ROWS = 20_000
_SAMPLE_BYTES = 1 << 20
_ID_NAME = re.compile(r"^(id|.*_?id|.*num|.*number|.*guid|.*key)$", re.I)
_MODIFIED = ("automodifiedtimestamp", "updated_at", "modified_at", "modifieddate", "last_modified", "modified")
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}

__all__ = ["CsvSource", "CsvTable", "from_settings", "open_table"]


@dataclass(frozen=True, slots=True)
class CsvTable:
    """How to read one file: its encoding, dialect and header."""

    path: Path
    entity: str
    header: tuple[str, ...]
    encoding: str | None  # None for XLSX
    dialect: type[csv.Dialect] | csv.Dialect | None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(line number, values) per data row; one-line SourceError on ragged rows or bad bytes."""
        if self.encoding is None:
            yield from _xlsx_rows(self.path, len(self.header))
            return
        width = len(self.header)
        reader = csv.reader(_decoded_lines(self.path, self.encoding), self.dialect)  # type: ignore[arg-type]
        next(reader, None)
        for values in reader:
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != width:
                if len(values) > width and not any(v.strip() for v in values[width:]):
                    values = values[:width]
                else:
                    raise SourceError(
                        f"{self.path.name}: line {reader.line_num} has {len(values)} fields, the header has {width}.",
                        hint="Fix that line (a stray delimiter or an unclosed quote?) and run again.",
                    )
            yield reader.line_num, values


def _decoded_lines(path: Path, encoding: str) -> Iterator[str]:
    if encoding.startswith("utf-16"):  # lines cannot be split on raw newline bytes
        with path.open(encoding=encoding, newline="") as f:
            yield from f
        return
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                yield decoder.decode(line)
            except UnicodeDecodeError:
                raise SourceError(
                    f"{path.name}: line {number} is not valid {encoding} text.",
                    hint="Re-export the file as UTF-8 (or cp1252) and run again.",
                ) from None


def _xlsx_rows(path: Path, width: int) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            row = list(values)
            if not any(v is not None and str(v).strip() for v in row):
                continue
            if len(row) > width and any(v is not None for v in row[width:]):
                raise SourceError(f"{path.name}: row {number} has values beyond the header's {width} columns.", hint="Give those columns a header or delete them, then run again.")
            yield number, (row + [None] * width)[:width]
    finally:
        book.close()


def detect_encoding(path: Path, default: str | None = None) -> str:
    """The text encoding of a file: UTF-8 (with or without BOM) when it decodes, else detected."""
    with path.open("rb") as f:
        sample = f.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if len(sample) == _SAMPLE_BYTES and exc.start >= len(sample) - 3:  # a character cut by the sample's end
            return "utf-8"
    if b"\x00" not in sample:
        if default:
            return default
        try:
            sample.decode("cp1252")  # Western Windows text: what Dentrix and Excel write in US/UK offices
            return "cp1252"
        except UnicodeDecodeError:
            pass
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is not None:
            return str(best.encoding)
    raise SourceError(f"{path.name}: cannot tell its text encoding (line 1 onwards is not text).", hint="Re-export it as UTF-8 CSV and run again.")


def open_table(path: Path, entity: str | None = None, *, encoding: str | None = None) -> CsvTable:
    """Sniff one CSV/XLSX file: encoding, dialect, header."""
    entity = entity or path.stem
    if path.suffix.lower() == ".xlsx":
        return _open_xlsx(path, entity)
    enc = encoding or detect_encoding(path)
    with path.open(encoding=enc, errors="replace", newline="") as f:
        sample = f.read(64 * 1024)
    if not sample.strip():
        raise SourceError(f"{path.name} is empty.", hint="Remove it from the folder or export it again.")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff("\n".join(sample.splitlines()[:50]), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    header_line = next(csv.reader(_decoded_lines(path, enc), dialect))
    header = tuple(h.strip().lstrip("\ufeff") or f"column_{i + 1}" for i, h in enumerate(header_line))
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise SourceError(f"{path.name}: the header repeats {', '.join(dupes)}.", hint="Give every column a distinct name and run again.")
    return CsvTable(path, entity, header, enc, dialect)


def _open_xlsx(path: Path, entity: str) -> CsvTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises several unrelated types for a broken file
        raise SourceError(f"{path.name} is not a readable XLSX workbook.", hint="Open and save it again in Excel, or export CSV.") from None
    try:
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    header = tuple(str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(first))
    while header and header[-1].startswith("column_"):
        header = header[:-1]
    if not header:
        raise SourceError(f"{path.name}: the first sheet has no header row.", hint="Put column names in row 1 and run again.")
    return CsvTable(path, entity, header, None, None)


def converter(kind: FieldType, profile: ValueProfile | None) -> Callable[[Any], Any]:
    """A function turning one raw cell into a Python native of `kind` (raw text kept when it does not parse)."""
    date_format = {"DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y"}.get(profile.date_format or "") if profile else None

    def text(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, float):
            return Decimal(repr(value))
        return value

    def typed(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
        def convert(value: Any) -> Any:
            value = text(value)
            if not isinstance(value, str):
                return value
            try:
                return parse(value)
            except (ValueError, InvalidOperation):
                return value

        return convert

    if kind == "int":
        return typed(int)
    if kind in ("decimal", "money"):
        return typed(lambda s: Decimal(s.replace(",", "").replace("$", "").replace("£", "").replace("€", "").strip()))
    if kind == "bool":
        return typed(lambda s: True if s.lower() in _TRUE else False if s.lower() in _FALSE else _raise())
    if kind == "datetime":
        return typed(lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")))
    if kind == "date":
        if date_format:
            return typed(lambda s: datetime.strptime(s, date_format).date())
        return typed(date.fromisoformat)
    return text


def _raise() -> Any:
    raise ValueError


class CsvSource:
    """A folder of CSV/XLSX files, read only."""

    name = "csv"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file() and not p.name.startswith((".", "~$")))
        if not files:
            raise ConfigError(f"{folder} holds no CSV or XLSX files.", hint="Point --source-path at the folder with the exported files.")
        self.files = {p.stem: p for p in files}
        self._tables: dict[str, CsvTable] = {}
        self._sniffed: dict[str, tuple[Entity, dict[str, Callable[[Any], Any]]]] = {}

    def table(self, entity: str) -> CsvTable:
        """The sniffed file behind `entity`."""
        if entity not in self.files:
            raise SourceError(f"No file for entity '{entity}' in {self.folder}.", hint="Re-run bridgework introspect if the folder changed.")
        if entity not in self._tables:
            self._tables[entity] = open_table(self.files[entity], entity)
        return self._tables[entity]

    def _raw(self, entity: str) -> Iterator[dict[str, Any]]:
        table = self.table(entity)
        header = table.header
        for number, (_line, values) in enumerate(table.rows(), start=1):
            record = dict(zip(header, values))
            record[ROW_NUMBER] = number
            yield record

    def _sniff(self, entity: str) -> tuple[Entity, dict[str, Callable[[Any], Any]]]:
        """Profile the first rows once: typed fields (with profiles), key, row count, converters."""
        if entity in self._sniffed:
            return self._sniffed[entity]
        table = self.table(entity)
        profiles = profile_records(self._raw(entity), table.header, limit=SNIFF_ROWS)
        rows = self.count(entity)
        key = self._guess_key(entity, profiles)
        fields = [
            Field(name=name, type=infer_type(p), label=name.replace("_", " ").strip().capitalize(), is_key=name == key,
                  unique=name == key, native_type="text", profile=p)
            for name, p in profiles.items()
        ]
        if key == ROW_NUMBER:
            fields.insert(0, Field(name=ROW_NUMBER, type="int", label="Row number", description="Data row number in the file (no id column found).", is_key=True, unique=True, readonly=True, native_type="derived"))
        result = Entity(name=entity, fields=tuple(fields), label=entity.replace("_", " ").capitalize(), description=f"File {table.path.name}", key=key, row_count=rows)
        converters = {f.name: converter(f.type, f.profile) for f in fields}
        self._sniffed[entity] = (result, converters)
        return result, converters

    def entity(self, entity: str, *, profile: bool = True) -> Entity:
        """Fields with sniffed types, the guessed key and the row count (profiles when asked)."""
        result = self._sniff(entity)[0]
        if profile:
            return result
        return replace(result, fields=tuple(replace(f, profile=None) for f in result.fields))

    def _guess_key(self, entity: str, profiles: Mapping[str, ValueProfile]) -> str:
        """An id-like column whose values are all present and distinct, else the row number."""
        header = self.table(entity).header
        candidates = [h for h in header if _ID_NAME.match(h) and profiles[h].null_rate == 0 and profiles[h].distinct_rate >= 0.97]
        for name in sorted(candidates, key=lambda h: (h.lower() != "id", header.index(h))):
            seen: set[str] = set()
            for raw in self._raw(entity):
                value = str(raw[name]).strip() if raw[name] is not None else ""
                if not value or value in seen:
                    break
                seen.add(value)
            else:
                return name
        return ROW_NUMBER

    def introspect(self, *, profile: bool = True) -> Schema:
        """One entity per file."""
        return Schema(system=self.name, entities=tuple(self.entity(e, profile=profile) for e in self.files))

    def count(self, entity: str) -> int:
        """Data rows in the file."""
        return sum(1 for _ in self.table(entity).rows())

    def _records(self, entity: str) -> Iterator[Record]:
        convert = self._sniff(entity)[1]
        for raw in self._raw(entity):
            yield {name: fn(raw.get(name)) for name, fn in convert.items()}

    def pages(self, entity: str, *, cursor: str | None = None, page_size: int = 1000, changed_since: datetime | None = None) -> Iterator[Page]:
        """Records in file order; the cursor is the last data row number read."""
        done = int(json.loads(cursor)) if cursor else 0
        modified = next((f.name for f in self.entity(entity, profile=False).fields if f.name.lower() in _MODIFIED and f.type == "datetime"), None)
        records = islice(self._records(entity), done, None)
        while True:
            batch = list(islice(records, page_size))
            if not batch:
                return
            done += len(batch)
            if changed_since is not None and modified is not None:
                batch = [r for r in batch if isinstance(r[modified], datetime) and _naive(r[modified]) > _naive(changed_since)]
            yield Page(batch, json.dumps(done))

    def fetch(self, entity: str, ids: Sequence[str]) -> list[Record]:
        """Records whose key is in `ids`."""
        key = self.entity(entity, profile=False).key or ROW_NUMBER
        wanted = {str(i) for i in ids}
        return [r for r in self._records(entity) if str(r.get(key)) in wanted]

    def close(self) -> None:
        """Nothing stays open between calls."""


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def from_settings(options: Mapping[str, Any], root: Path) -> CsvSource:
    """A CSV source from [source] settings: `path` is the folder (relative to the workspace)."""
    if not options.get("path"):
        raise ConfigError("The csv source needs a folder.", hint="Pass --source-path DIR to bridgework init (or set path in [source]).")
    folder = Path(str(options["path"])).expanduser()
    folder = folder if folder.is_absolute() else root / folder
    if not folder.exists():
        raise ConfigError(f"{folder} does not exist.", hint="Point path in [source] (or --source-path) at the folder of CSV/XLSX files.")
    if not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder.", hint="Point path at the folder that holds the CSV/XLSX files.")
    try:
        return CsvSource(folder)
    except PermissionError:
        raise SourceError(f"Cannot read {folder} (permission denied).", hint="Give your user read access and run again.") from None
