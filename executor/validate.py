"""Validation before the load: every record through the real transforms and the destination's constraints.

Relations are checked against what would load (the referenced source record staged ready),
since nothing is in the destination yet. The result is a correction report (values masked)
plus a data audit; dedupe groups go to the ledger for a person to decide.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.dedupe import IdentityFields, find_groups, store_groups
from executor.session import Session
from executor.staging import Problem, Staged, Stager, read_all
from executor.unique import shared_values
from mapper.profile import mask
from mapper.spec import EntityMap



@dataclass
class Finding:
    """One row of the correction report (the value is masked)."""

    map_id: str
    source_id: str
    field: str
    value: str
    code: str
    message: str
    fix: str
    severity: str = "error"


@dataclass
class ValidationReport:
    """What validate found, per entity map, and where the CSV went."""

    records: dict[str, int] = field(default_factory=dict)
    ready: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    audit: dict[str, int] = field(default_factory=dict)
    duplicate_groups: int = 0
    csv_path: Path | None = None

    def by_code(self) -> dict[str, int]:
        """Findings counted by problem code."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.code] = out.get(f.code, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _finding(s: Staged, p: Problem, severity: str) -> Finding:
    raw = s.source.get(p.field) if p.field in s.source else s.values.get(p.field)
    return Finding(s.map_id, s.source_id, p.field, "" if raw is None else mask(raw), p.code, p.message, p.fix, severity)


def validate(session: Session, *, write_csv: bool = True) -> ValidationReport:
    """Run every entity map through staging and the destination's constraints; store dedupe proposals."""
    report = ValidationReport()
    ready: dict[str, dict[str, str]] = {}
    missing_emails = 0
    stager = Stager(session.spec, session.source_name, session.source_schema, session.destination_schema,
                    lambda map_id: ready.get(map_id, {}), session.aliases,
                    reader=lambda entity: read_all(session.source, entity), hashes=False)
    for em in session.ordered_maps():
        missing_emails += check_map(stager, em, read_all(session.source, em.source), report, ready)
        for sid, fld, how in shared_values(session, em):
            report.findings.append(Finding(em.id, sid, fld, "", "shared_unique_value",
                                           "is shared with a family member and must be unique in the destination",
                                           how, "warning"))
    report.duplicate_groups = _dedupe(session)
    report.audit = {"missing_emails": missing_emails, **_audit(report)}
    if write_csv:
        report.csv_path = write_report(session.ws.reports_dir / "correction_report.csv", report.findings)
    return report


def check_map(stager: Stager, em: EntityMap, records: Iterable[Mapping[str, Any]], report: ValidationReport,
              ready: dict[str, dict[str, str]]) -> int:
    """Stage one map's records into the report (counts, correction rows; `ready` gains what would load).

    Returns how many ready records have no e-mail address.
    """
    dest = stager.dest_entity(em)
    targets = {fm.target_name or "" for fm in em.fields}
    loads: dict[str, str] = {}
    ready[em.id] = loads
    looked_up = any(fm.kind == "relation" and fm.lookup == em.id for m in stager.spec.entities for fm in m.fields)
    refers_to_itself = any(fm.kind == "relation" and fm.lookup == em.id for fm in em.fields)
    self_refs: list[tuple[str, str]] = []  # (source id, id it points at): ids only, memory stays flat
    counts = {"records": 0, "ready": 0, "skipped": 0, "rejected": 0}
    email_fields = sorted(t for t in targets if "email" in t.lower() and "additional" not in t.lower()
                          or dest is not None and dest.has(t) and dest.field(t).type == "email")
    missing_emails = 0
    findings = report.findings
    em_id = em.id
    for s in stager.stage(em, records):
        state = s.state
        counts[state] += 1
        if state == "rejected":  # a ready record has no problems; a skipped one's (merged, filtered) are not errors
            findings.extend(_finding(s, p, "error") for p in s.problems)
        if s.warnings:
            findings.extend(_finding(s, w, "warning") for w in s.warnings)
        if state == "ready":
            if email_fields and all(s.values.get(n) in (None, "") for n in email_fields):
                missing_emails += 1
            if looked_up:  # ids only a relation asks for: memory stays flat on the big maps (ledger, notes)
                loads[s.source_id] = s.source_id
            if refers_to_itself:
                self_refs.extend((s.source_id, ref) for m, ref in s.references if m == em_id)
    counts["records"] = counts["ready"] + counts["skipped"] + counts["rejected"]
    for sid, ref in self_refs:
        if ref not in loads:
            findings.append(Finding(em_id, sid, "", "", "unresolved_reference", f"points at {em_id} {ref}, which will not load",
                                    "Fix or load that record first.", "error"))
    for key, value in counts.items():
        getattr(report, key)[em.id] = value
    return missing_emails


def _dedupe(session: Session) -> int:
    total = 0
    seen: set[str] = set()
    for em in session.ordered_maps():
        if em.source in seen or session.source_schema is None or not session.source_schema.has(em.source):
            continue
        seen.add(em.source)
        fields = IdentityFields.detect(session.source_schema.entity(em.source))
        if fields is None:
            continue
        from executor.staging import key_fields, source_id_of

        keys = key_fields(em, session.source_schema)
        groups = find_groups(((source_id_of(r, keys), r) for r in read_all(session.source, em.source)), fields)
        store_groups(session.ledger, em.source, groups)
        total += len(groups)
    return total


def _audit(report: ValidationReport) -> dict[str, int]:
    codes = report.by_code()
    return {
        "invalid_emails": codes.get("invalid_email", 0),
        "invalid_phones": codes.get("invalid_phone", 0),
        "orphans": codes.get("unresolved_reference", 0),
        "shared_unique_values": codes.get("shared_unique_value", 0),
        "duplicate_groups": report.duplicate_groups,
    }


def write_report(path: Path, findings: list[Finding]) -> Path:
    """The correction report CSV: record, field, masked value, problem, suggested fix."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["entity_map", "source_id", "field", "value_masked", "code", "problem", "suggested_fix", "severity"])
        for f in findings:
            out.writerow([f.map_id, f.source_id, f.field, f.value, f.code, f.message, f.fix, f.severity])
    return path
