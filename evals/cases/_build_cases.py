"""Write the mapping-accuracy eval cases (one folder per case) from the spec modules.

The gold lives in `_specs_*.py` (consultant judgement, one line per source column); this script
only renders it into the case format of ARCHITECTURE.md and checks it against the destination
metadata in mapper/knowledge/destinations/. Run:

    .venv/bin/python -m evals.cases._build_cases
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from evals.cases import _specs_ascend, _specs_dentally, _specs_dentrix
from mapper.schema import Schema

HERE = Path(__file__).resolve().parent
DEST_DIR = HERE.parents[1] / "mapper" / "knowledge" / "destinations"

SOURCE_HEADER = ["TableName", "TableDesc", "ColumnName", "ColumnDesc", "ColumnType", "SampleValues"]
TARGET_HEADER = ["ObjectName", "ObjectDesc", "FieldName", "FieldLabel", "FieldType", "Required", "FieldDesc"]
GOLD_HEADER = ["SRC_ENT", "SRC_ATT", "TGT_ENT", "TGT_ATT", "KIND"]

DEST_LABEL = {"twenty": "Twenty", "salesforce": "Salesforce Sales Cloud",
              "dynamics": "Dynamics 365 Sales (Dataverse)", "odoo": "Odoo 18 CRM"}


@dataclass
class Column:
    table: str
    table_desc: str
    name: str
    type: str
    desc: str
    samples: str
    gold: dict[str, str]  # destination kind -> gold token string


def parse(spec: str, dests: tuple[str, ...]) -> list[Column]:
    cols: list[Column] = []
    table, table_desc = "", ""
    for raw in spec.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("~")]
        if line.startswith("@"):
            table, table_desc = parts[0][1:].strip(), parts[1]
            continue
        name, type_, desc, samples, *gold = parts
        if len(gold) != len(dests):
            raise ValueError(f"{table}.{name}: {len(gold)} gold columns, expected {len(dests)}")
        cols.append(Column(table, table_desc, name, type_, desc, samples, dict(zip(dests, gold))))
    return cols


def gold_rows(col: Column, dest: str, schema: Schema) -> list[list[str]]:
    rows = []
    tokens = [t.strip() for t in col.gold[dest].split(",") if t.strip()]
    kinds = set()
    for tok in tokens:
        if tok == "S":
            rows.append([col.table, col.name, "", "", "skip"])
            kinds.add("skip")
        elif tok == "C" or tok.startswith("C:"):
            host = tok[2:] if tok.startswith("C:") else ""
            if host and not schema.has(host):
                raise ValueError(f"{col.table}.{col.name}: custom host {host} not in {dest}")
            rows.append([col.table, col.name, host, "", "custom"])
            kinds.add("custom")
        else:
            kind = "relation" if tok.startswith("R:") else "direct"
            ent, att = (tok[2:] if kind == "relation" else tok).split("/", 1)
            field = schema.entity(ent).field(att)
            if (kind == "relation") != (field.type == "reference"):
                raise ValueError(f"{col.table}.{col.name}: {kind} to {ent}.{att} of type {field.type}")
            rows.append([col.table, col.name, ent, att, kind])
            kinds.add(kind)
    if not rows or (len(kinds) > 1 and kinds & {"custom", "skip"}) or (len(rows) > 1 and kinds & {"custom", "skip"}):
        raise ValueError(f"{col.table}.{col.name}: bad gold for {dest}: {col.gold[dest]}")
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def target_rows(schema: Schema) -> list[list[str]]:
    return [[e.name, e.description, f.name, f.label, f.type, "true" if f.required else "false", f.description]
            for e in schema.entities for f in e.fields]


def write_case(name: str, title: str, cols: list[Column], dest: str) -> dict[str, int]:
    schema = Schema.load(DEST_DIR / f"{dest}.json")
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    src = [[c.table, c.table_desc, c.name, c.desc, c.type, " | ".join(s.strip() for s in c.samples.split("|") if s.strip())]
           for c in cols]
    gold = [r for c in cols for r in gold_rows(c, dest, schema)]
    seen = set()
    for c in cols:
        key = (c.table, c.name)
        if key in seen:
            raise ValueError(f"{name}: duplicate source column {key}")
        seen.add(key)
    write_csv(folder / "source.csv", SOURCE_HEADER, src)
    write_csv(folder / "target.csv", TARGET_HEADER, target_rows(schema))
    write_csv(folder / "gold.csv", GOLD_HEADER, gold)
    (folder / "TITLE").write_text(title + "\n", encoding="utf-8")
    counts = {"attributes": len(cols)}
    for kind in ("direct", "relation", "custom", "skip"):
        counts[kind] = len({(r[0], r[1]) for r in gold if r[4] == kind})
    return counts


DENTRIX_SCOPE = ("patients, families/guarantors, address, employer, referral sources, providers, insurance "
                 "carriers and subscribers, appointments, procedure log/ledger, procedure codes, treatment "
                 "cases, clinical and general notes, recalls, health history, documents")
DENTALLY_SCOPE = ("patients, practitioners, users, sites, appointments, treatment plans and items, invoices, "
                  "payments, accounts, recalls, payment plans")
ASCEND_SCOPE = "patients, appointments, providers, ledger transactions, procedure codes"


def enterprise_columns() -> list[Column]:
    base = parse(_specs_dentrix.SPEC, _specs_dentrix.DESTS)
    sql_type = {"integer": "int", "timestamp": "datetime", "smallint": "smallint"}
    cols = parse(_specs_dentrix.ENTERPRISE_EXTRA, ("odoo",))
    by_table: dict[str, list[Column]] = {}
    for c in base:
        by_table.setdefault(c.table, []).append(
            Column(c.table, c.table_desc, c.name, sql_type.get(c.type, c.type), c.desc, c.samples, {"odoo": c.gold["odoo"]}))
    for table, line in _specs_dentrix.ENTERPRISE_CLINIC_COLUMNS.items():
        first = by_table[table][0]
        extra = parse(f"@{table} ~ {first.table_desc}\n{line}", ("odoo",))[0]
        by_table[table].append(extra)
    for table_cols in by_table.values():
        cols.extend(table_cols)
    for c in cols:
        c.type = sql_type.get(c.type, c.type)
    return cols


def main() -> None:
    report = {}
    dentrix = parse(_specs_dentrix.SPEC, _specs_dentrix.DESTS)
    dentally = parse(_specs_dentally.SPEC, _specs_dentally.DESTS)
    ascend = parse(_specs_ascend.SPEC, _specs_ascend.DESTS)
    for dest in _specs_dentrix.DESTS:
        report[f"dentrix_{dest}"] = write_case(
            f"dentrix_{dest}", f"Dentrix G-series (c-treeACE base tables) -> {DEST_LABEL[dest]}: {DENTRIX_SCOPE}", dentrix, dest)
    for dest in _specs_dentally.DESTS:
        report[f"dentally_{dest}"] = write_case(
            f"dentally_{dest}", f"Dentally (REST /v1) -> {DEST_LABEL[dest]}: {DENTALLY_SCOPE}", dentally, dest)
    for dest in _specs_ascend.DESTS:
        report[f"ascend_{dest}"] = write_case(
            f"ascend_{dest}", f"Dentrix Ascend (public API objects) -> {DEST_LABEL[dest]}: {ASCEND_SCOPE}", ascend, dest)
    report["dentrix_enterprise_odoo"] = write_case(
        "dentrix_enterprise_odoo",
        f"Dentrix Enterprise (G-series layout on SQL Server, plus clinics) -> {DEST_LABEL['odoo']}: clinics, {DENTRIX_SCOPE}",
        enterprise_columns(), "odoo")
    for name, counts in sorted(report.items()):
        share = (counts["custom"] + counts["skip"]) / counts["attributes"]
        print(f"{name:26} " + " ".join(f"{k}={v}" for k, v in counts.items()) + f" custom+skip={share:.0%}")


if __name__ == "__main__":
    main()
