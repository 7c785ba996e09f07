"""Run the product's proposer over eval cases (source.csv / target.csv / gold.csv per case folder).

The same code path as `bridgework propose`: ScoreTable.build + ranked() over every source attribute
against every destination field of target.csv.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mapper.errors import BridgeworkError
from mapper.profile import profile_records
from mapper.propose import Candidate, ProposerSettings, ScoreTable, TemplateStore, guess_destination_kind, ranked
from mapper.propose.proposer import check_schemas
from mapper.schema import Entity, Field, FieldType, Schema

GOLD_KINDS = ("direct", "relation", "custom", "skip")

_TYPE_RULES: tuple[tuple[str, FieldType], ...] = (
    (r"email", "email"), (r"phone|tel\b|fax", "phone"), (r"url|link|website", "url"),
    (r"datetime|timestamp|date_time|datetimeoffset", "datetime"), (r"\bdate\b|^date", "date"),
    (r"money|currency|amount|price", "money"), (r"decimal|numeric|float|double|real|number", "decimal"),
    (r"bigint|smallint|tinyint|\bint|integer|long|short|autonumber", "int"),
    (r"bool|bit\b|checkbox|two ?options", "bool"),
    (r"picklist|select|selection|enum|choice|option ?set|status|state", "enum"),
    (r"reference|lookup|relation|many2one|one2many|many2many|foreign|owner|customer|uuid ref", "reference"),
    (r"json|array|raw_json", "json"), (r"blob|binary|image|file|varbinary", "file"),
    (r"memo|long ?text|textarea|rich_?text|html|\btext\b|ntext|clob", "text"),
)


def normalise_type(native: str) -> FieldType:
    """A normalised FieldType for a case's ColumnType/FieldType text (char(22), DATE_TIME, many2one, ...)."""
    text = native.strip().lower()
    for pattern, ftype in _TYPE_RULES:
        if re.search(pattern, text):
            return ftype
    return "string"


@dataclass(frozen=True, slots=True)
class GoldRow:
    """One gold.csv row."""

    src_ent: str
    src_att: str
    tgt_ent: str
    tgt_att: str
    kind: str


@dataclass(frozen=True)
class Case:
    """One eval case: source and destination schemas plus the gold map."""

    name: str
    source: Schema
    destination: Schema
    gold: tuple[GoldRow, ...]
    destination_kind: str
    variant: str = "seed"

    def gold_for(self, src_ent: str, src_att: str) -> list[GoldRow]:
        """Gold rows of one source attribute."""
        return [g for g in self.gold if g.src_ent == src_ent and g.src_att == src_att]


@dataclass(frozen=True, slots=True)
class Query:
    """One source attribute's outcome: decision and ranked candidates."""

    src_ent: str
    src_att: str
    decision: str
    candidates: tuple[Candidate, ...]


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]
    except FileNotFoundError:
        raise BridgeworkError(f"{path} is missing.", hint="A case folder holds source.csv, target.csv and gold.csv.") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BridgeworkError(f"{path} is not a readable CSV ({type(exc).__name__}).", hint="Save it as UTF-8 CSV.") from None


def _source_schema(rows: Sequence[dict[str, str]], system: str) -> Schema:
    tables: dict[str, list[Field]] = {}
    descs: dict[str, str] = {}
    for row in rows:
        table, column = row.get("TableName", ""), row.get("ColumnName", "")
        if not table or not column:
            continue
        descs.setdefault(table, row.get("TableDesc", ""))
        samples = [s.strip() for s in row.get("SampleValues", "").split(" | ") if s.strip()]
        native = row.get("ColumnType", "")
        profile = profile_records(({column: s} for s in samples), [column])[column] if samples else None
        ftype = normalise_type(native) if native else "string"
        tables.setdefault(table, []).append(Field(name=column, type=ftype, description=row.get("ColumnDesc", ""),
                                                  native_type=native, profile=profile))
    return Schema(system, tuple(Entity(t, tuple(fs), description=descs.get(t, "")) for t, fs in tables.items()))


def _target_schema(rows: Sequence[dict[str, str]], system: str) -> Schema:
    objects: dict[str, list[Field]] = {}
    descs: dict[str, str] = {}
    for row in rows:
        obj, name = row.get("ObjectName", ""), row.get("FieldName", "")
        if not obj or not name:
            continue
        descs.setdefault(obj, row.get("ObjectDesc", ""))
        native = row.get("FieldType", "")
        objects.setdefault(obj, []).append(Field(
            name=name, type=normalise_type(native) if native else "string", label=row.get("FieldLabel", ""),
            description=row.get("FieldDesc", ""), required=row.get("Required", "").lower() in ("true", "yes", "1", "y"),
            native_type=native))
    return Schema(system, tuple(Entity(o, tuple(fs), description=descs.get(o, "")) for o, fs in objects.items()))


def load_case(folder: Path) -> Case:
    """Read one case folder."""
    name = folder.name
    source_system, _, dest_system = name.partition("_")
    source = _source_schema(_read_csv(folder / "source.csv"), source_system or "source")
    destination = _target_schema(_read_csv(folder / "target.csv"), dest_system or "destination")
    if not source.entities:
        raise BridgeworkError(f"{folder / 'source.csv'} lists no columns.", hint="Give each row TableName and ColumnName.")
    if not destination.entities:
        raise BridgeworkError(f"{folder / 'target.csv'} lists no fields.", hint="Give each row ObjectName and FieldName.")
    gold = tuple(
        GoldRow(r.get("SRC_ENT", ""), r.get("SRC_ATT", ""), r.get("TGT_ENT", ""), r.get("TGT_ATT", ""),
                (r.get("KIND", "") or "direct").lower())
        for r in _read_csv(folder / "gold.csv") if r.get("SRC_ENT") and r.get("SRC_ATT"))
    return Case(name, source, destination, gold, guess_destination_kind(destination))


def find_cases(paths: Iterable[Path]) -> list[Path]:
    """Case folders under the given paths (a case folder itself, or a folder of case folders), sorted."""
    found: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise BridgeworkError(f"{path} does not exist.", hint="Pass a case folder or a folder of case folders.")
        if (path / "source.csv").exists():
            found.add(path.resolve())
            continue
        found.update(p.parent.resolve() for p in path.glob("*/source.csv"))
    if not found:
        raise BridgeworkError(f"No eval cases under {', '.join(str(p) for p in paths)}.",
                              hint="A case folder holds source.csv, target.csv and gold.csv.")
    return sorted(found)


def warm_templates(case: Case, others: Sequence[Case]) -> TemplateStore:
    """Templates learned from the OTHER cases' gold (leave-one-case-out)."""
    store = TemplateStore(path=Path("/nonexistent/templates.json"))
    for other in sorted(others, key=lambda c: c.name):
        if other.name == case.name:
            continue
        store.add_pairs(other.destination_kind, [(g.src_ent, g.src_att, g.tgt_ent, g.tgt_att)
                                                 for g in other.gold if g.kind in ("direct", "relation")])
    return store


def run_case(case: Case, settings: ProposerSettings) -> list[Query]:
    """Every source attribute's decision and top candidates."""
    source, destination = check_schemas(case.source, case.destination)
    table = ScoreTable.build(source, destination, case.destination_kind, settings)
    out = []
    for i, (e, f) in enumerate(table.src):
        (decision, _), cands = ranked(table, i)
        out.append(Query(e.name, f.name, decision, tuple(cands)))
    return out


def cold(settings: ProposerSettings) -> ProposerSettings:
    """Settings without any templates."""
    return replace(settings, templates=TemplateStore(path=Path("/nonexistent/templates.json")),
                   disabled=settings.disabled | {"template"})
