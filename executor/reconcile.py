"""Reconcile: source vs ledger vs destination (read back by external id), money totals and a field sample.

A run is done when this says so, not when the last request returned 2xx: every number
on the destination side comes from reading the destination, never from its responses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from executor.aging import ARReport, reconcile_ar
from executor.diff import SILENT, compare
from executor.session import Session
from executor.staging import Stager, active_fields, target_name
from mapper.spec import EntityMap

_MONEY = ("money", "decimal")
_MONEY_STEPS = frozenset({"money", "to_micros", "negate"})
_READ_CHUNK = 500


@dataclass
class MapReconcile:
    """One entity map's figures and whether they agree."""

    source: int
    loaded: int
    skipped: int
    rejected: int
    unsettled: int
    destination: int
    money: dict[str, dict[str, str]] = field(default_factory=dict)
    groups_off: dict[str, int] = field(default_factory=dict)
    sampled: int = 0
    field_changes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is out of tolerance."""
        return not self.problems


@dataclass
class ReconcileReport:
    """Every entity map's reconcile, and A/R per family (None when the source has no ledger bridgework knows)."""

    maps: dict[str, MapReconcile] = field(default_factory=dict)
    ar: ARReport | None = None

    @property
    def ok(self) -> bool:
        """True when every map agrees and so does every family's A/R."""
        return all(m.ok for m in self.maps.values()) and (self.ar is None or self.ar.ok)


def _money_fields(session: Session, em: EntityMap) -> list[str]:
    dest = Stager(session.spec, session.source_name, session.source_schema, session.destination_schema,
                  lambda _: {}).dest_entity(em)
    out = []
    for fm in active_fields(em):
        name = target_name(fm)
        dest_type = dest.field(name).type if dest is not None and dest.has(name) else None
        custom_type = fm.custom.type if fm.custom else None
        money_chain = any(step.name in _MONEY_STEPS for step in fm.transforms)
        # A decimal is money only when its chain says so (an appointment's duration in hours is not).
        if "money" in (dest_type, custom_type) or (money_chain and (dest_type in _MONEY or custom_type in _MONEY)):
            out.append(name)
    return out


_ACCOUNT = re.compile(r"(guar|account|famil|payer)", re.I)


def _group_field(em: EntityMap) -> str | None:
    """The relation a balance is grouped by: the guarantor/account when mapped, else the first relation (patient)."""
    relations = [fm for fm in active_fields(em) if fm.kind == "relation" and fm.lookup and fm.lookup != em.id]
    preferred = [fm for fm in relations if any(_ACCOUNT.search(s) for s in fm.sources)]
    chosen = (preferred or relations)[:1]
    return target_name(chosen[0]) if chosen else None


def _loaded(session: Session, em: EntityMap) -> list[tuple[str, str]]:
    rows = session.ledger.db.execute(
        "SELECT source_id, dest_id FROM records WHERE map_id = ? AND state = 'loaded' ORDER BY source_id", (em.id,))
    return [(str(s), str(d)) for s, d in rows]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reconcile_map(session: Session, em: EntityMap, *, sample: int, money_tolerance: Decimal,
                  count_tolerance: int) -> MapReconcile:
    """Figures for one entity map."""
    states = dict(session.ledger.db.execute(
        "SELECT state, COUNT(*) FROM records WHERE map_id = ? GROUP BY state", (em.id,)).fetchall())
    prefix = f"bw:{session.source_name}:{em.source}:"
    r = MapReconcile(
        source=session.source.count(em.source), loaded=int(states.get("loaded", 0)),
        skipped=int(states.get("skipped", 0)), rejected=int(states.get("rejected", 0)),
        unsettled=sum(int(states.get(s, 0)) for s in ("pending", "failed", "conflict")),
        destination=session.destination.count(em.target_name, prefix))
    if abs(r.source - (r.loaded + r.skipped + r.rejected)) > count_tolerance:
        r.problems.append(f"source {r.source} != loaded {r.loaded} + skipped {r.skipped} + rejected {r.rejected}"
                          + (f" ({r.unsettled} pending/failed/conflict)" if r.unsettled else ""))
    if abs(r.destination - r.loaded) > count_tolerance:
        r.problems.append(f"destination holds {r.destination} records with bridgework ids, the ledger says {r.loaded}")
    money = _money_fields(session, em)
    loaded = _loaded(session, em)
    if money and loaded:
        _money(session, em, money, loaded, r, money_tolerance)
    if sample and loaded:
        _sample(session, em, loaded[:sample], r)
    return r


def _money(session: Session, em: EntityMap, names: list[str], loaded: list[tuple[str, str]], r: MapReconcile,
           tolerance: Decimal) -> None:
    """Totals and per-group balances: what the ledger says was sent (re-staged from the source) vs what is stored."""
    group = _group_field(em)
    stager = session.stager()
    sent: dict[str, dict[str, Decimal]] = {n: {} for n in names}
    stored: dict[str, dict[str, Decimal]] = {n: {} for n in names}
    for chunk in _chunks(loaded, _READ_CHUNK):
        records = session.source.fetch(em.source, [s for s, _ in chunk])
        staged = {s.source_id: s for s in stager.stage(em, records)}
        values = session.destination.read(em.target_name, [d for _, d in chunk], [*names, *([group] if group else [])])
        for sid, did in chunk:
            s = staged.get(sid)
            back = values.get(did, {})
            key = str(s.values.get(group)) if s is not None and group else "all"
            for n in names:
                a = Decimal(str(s.values.get(n) or 0)) if s is not None else Decimal(0)
                b = Decimal(str(back.get(n) or 0))
                sent[n][key] = sent[n].get(key, Decimal(0)) + a
                stored[n][key] = stored[n].get(key, Decimal(0)) + b
    for n in names:
        total_a, total_b = sum(sent[n].values(), Decimal(0)), sum(stored[n].values(), Decimal(0))
        r.money[n] = {"source": str(total_a), "destination": str(total_b)}
        off = sum(1 for k in sent[n] if abs(sent[n][k] - stored[n].get(k, Decimal(0))) > tolerance)
        r.groups_off[n] = off
        if abs(total_a - total_b) > tolerance or off:
            r.problems.append(f"money field {n}: totals differ by {abs(total_a - total_b)}"
                              + (f", {off} {group or 'group'} balance(s) differ" if off else ""))


def _sample(session: Session, em: EntityMap, chunk: list[tuple[str, str]], r: MapReconcile) -> None:
    """Field-level comparison of a few records (silent changes counted by kind)."""
    records = session.source.fetch(em.source, [s for s, _ in chunk])
    staged = {s.source_id: s for s in session.stager().stage(em, records)}
    stored = session.destination.read(em.target_name, [d for _, d in chunk])
    for sid, did in chunk:
        s = staged.get(sid)
        if s is None or did not in stored:
            continue
        r.sampled += 1
        for name, value in s.values.items():
            change = compare(value, stored[did].get(name))
            if change in SILENT:
                r.field_changes[change] = r.field_changes.get(change, 0) + 1


def reconcile(session: Session, *, sample: int = 20, as_of: date | None = None) -> ReconcileReport:
    """Reconcile every entity map and A/R with the workspace's tolerances (A/R aged at `as_of`, default today)."""
    options = session.ws.settings.options
    tolerance = Decimal(options.money_tolerance)
    report = ReconcileReport()
    for em in session.ordered_maps():
        report.maps[em.id] = reconcile_map(session, em, sample=sample, money_tolerance=tolerance,
                                           count_tolerance=options.count_tolerance)
    report.ar = reconcile_ar(session, tolerance=tolerance, as_of=as_of or date.today())
    return report
