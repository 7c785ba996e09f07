"""A/R per family/guarantor: the source's ledger vs what bridgework loaded, read back by external id.

Dentrix: `fullproclog` is the ledger (class 0 charge, counted when completed, chartstatus 105;
1 payment, stored negative; 2 adjustment); the family is `guarid`; the `aging` table is the
practice's own aging. Dentally: `invoices` (charges; `nhs_amount` is the third-party part) and
`payments` (non-deleted, as negative credits) per account; `accounts.current_balance` is the
practice's own balance. Aging is first-in first-out: credits pay the oldest debits first.
Open insurance: charges on a claim (Dentrix `claimid`) less the insurance paid on them.

Loaded figures: each loaded record is found in the destination by external id and its mapped
money and date columns are read back; family and entry class come from the source record.
Records the ledger says were skipped or rejected are reported apart, as record counts are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.base import external_id
from executor.session import Session
from executor.staging import active_fields, key_fields, source_id_of, target_name
from mapper.errors import SourceError
from mapper.spec import EntityMap

BUCKETS = ("0-30", "31-60", "61-90", "91+")
FIGURES = ("charges", "payments", "adjustments", "insurance_paid", "balance", "open_insurance")
NO_LEDGER = "No ledger is mapped: A/R cannot be compared"
_COMPLETED = 105
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_CHUNK = 500
Entry = tuple[str, str, date | None, Decimal, Decimal, bool]  # family, kind, day, amount, insurance paid, billed
Ledger = tuple[Callable[[Mapping[str, Any], Mapping[str, str]], Entry | None], tuple[str, ...], tuple[str, ...]]


def _text(amount: Decimal) -> str:
    """An amount as text, in cents unless finer (destinations send 12.5 or 12.50 alike)."""
    return str(amount.quantize(_CENT) if amount == amount.quantize(_CENT) else amount)


@dataclass(slots=True)
class Figures:
    """One family's (or all families') A/R figures."""

    charges: Decimal = _ZERO
    payments: Decimal = _ZERO
    adjustments: Decimal = _ZERO
    insurance_paid: Decimal = _ZERO
    open_insurance: Decimal = _ZERO
    aging: list[Decimal] = field(default_factory=lambda: [_ZERO] * 4)

    @property
    def balance(self) -> Decimal:
        """What the family owes: charges less insurance paid, plus payments (negative) and adjustments."""
        return self.charges - self.insurance_paid + self.payments + self.adjustments

    def as_dict(self) -> dict[str, Any]:
        """Figures as strings (Decimal kept exact), aging by bucket."""
        return {**{n: _text(getattr(self, n)) for n in FIGURES}, "aging": dict(zip(BUCKETS, map(_text, self.aging)))}


@dataclass
class ARReport:
    """A/R per family in the source and as loaded, and the families that differ."""

    as_of: date
    tolerance: Decimal
    source: dict[str, Figures] = field(default_factory=dict)
    loaded: dict[str, Figures] | None = None
    expected: dict[str, Figures] = field(default_factory=dict)  # source less records skipped or rejected
    not_loaded: dict[str, Figures] = field(default_factory=dict)  # records the ledger says were skipped or rejected
    stated: dict[str, Decimal] = field(default_factory=dict)  # the practice's own balance (aging table / accounts)
    families_off: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every family's loaded A/R agrees with the source within tolerance."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: totals per side, and per family only those out of tolerance (expected vs loaded)."""
        return {"ok": self.ok, "as_of": self.as_of.isoformat(), "tolerance": str(self.tolerance),
                "families": len(self.source), "families_off": len(self.families_off), "source": total(self.source).as_dict(),
                "loaded": total(self.loaded).as_dict() if self.loaded is not None else None,
                "not_loaded": total(self.not_loaded).as_dict() if self.not_loaded else None,
                "stated_balance": _text(sum(self.stated.values(), _ZERO)) if self.stated else None,
                "notes": self.notes, "problems": self.problems,
                "off": [{"family": f, "expected": self.expected.get(f, Figures()).as_dict(),
                         "loaded": (self.loaded or {}).get(f, Figures()).as_dict()} for f in self.families_off]}


def total(side: Mapping[str, Figures]) -> Figures:
    """All families' figures added up."""
    out = Figures()
    for f in (side[family] for family in sorted(side)):
        for name in ("charges", "payments", "adjustments", "insurance_paid", "open_insurance"):
            setattr(out, name, getattr(out, name) + getattr(f, name))
        out.aging = [a + b for a, b in zip(out.aging, f.aging)]
    return out


def _money(value: Any) -> Decimal:
    if value is None or value is False or value == "":
        return _ZERO
    return Decimal(str(value).replace("$", "").replace(",", "").replace("£", "").strip() or 0)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = str(value or "")[:10]
    return date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else None


def _families(n: int) -> str:
    return f"{n} famil{'y' if n == 1 else 'ies'}"


def _fam(value: Any) -> str:
    return str(value) if value not in (None, "", 0) else "none"


def _dentrix(record: Mapping[str, Any], _: Mapping[str, str]) -> Entry | None:
    klass = int(record.get("proclogclass") or 0)
    family, day, amount = _fam(record.get("guarid")), _day(record.get("procdate")), _money(record.get("amt"))
    if klass == 0:
        if int(record.get("chartstatus") or 0) != _COMPLETED:
            return None  # treatment planned or existing work: not charged
        paid = _money(record.get("amtpriminspaid")) + _money(record.get("amtsecinspaid"))
        return family, "charge", day, amount, paid, bool(record.get("claimid"))
    kind = {1: "payment", 2: "adjustment"}.get(klass)
    return (family, kind, day, amount, _ZERO, False) if kind else None


def _invoice(record: Mapping[str, Any], accounts: Mapping[str, str]) -> Entry | None:
    third, patient = _money(record.get("nhs_amount")), str(record.get("patient_id"))
    family = _fam(record.get("account_id")) if record.get("account_id") else accounts.get(patient, _fam(patient))
    return family, "charge", _day(record.get("dated_on")), _money(record.get("amount")), third, False  # no claims to track


def _payment(record: Mapping[str, Any], accounts: Mapping[str, str]) -> Entry | None:
    patient = str(record.get("patient_id"))
    return None if record.get("deleted") else (accounts.get(patient, _fam(patient)), "payment", _day(record.get("dated_on")),
                                               -_money(record.get("amount")), _ZERO, False)


# Ledger entity -> (entry reader, the money and date columns a map may carry)
_LEDGERS: dict[str, dict[str, Ledger]] = {
    "dentrix": {"fullproclog": (_dentrix, ("amt", "amtpriminspaid", "amtsecinspaid"), ("procdate",))},
    "dentally": {"invoices": (_invoice, ("amount", "nhs_amount"), ("dated_on",)),
                 "payments": (_payment, ("amount",), ("dated_on",))},
}


def _figures(entries: Iterator[Entry], as_of: date) -> dict[str, Figures]:
    """Per-family figures; aging first-in first-out (credits settle the oldest debits)."""
    out: dict[str, Figures] = {}
    debits: dict[str, list[tuple[date, Decimal]]] = {}
    credits: dict[str, Decimal] = {}
    for family, kind, day, amount, paid, billed in entries:
        f = out.setdefault(family, Figures())
        net = amount - paid
        if kind == "charge":
            f.charges, f.insurance_paid = f.charges + amount, f.insurance_paid + paid
            f.open_insurance += net if billed else _ZERO
        elif kind == "payment":
            f.payments += amount
        else:
            f.adjustments += amount
        if net > 0:
            debits.setdefault(family, []).append((day or date.min, net))  # no date: the oldest
        else:
            credits[family] = credits.get(family, _ZERO) - net
    for family, f in out.items():
        left = credits.get(family, _ZERO)
        for day, net in sorted(debits.get(family, [])):
            applied = min(net, left)
            left -= applied
            f.aging[min(3, max(0, (as_of - day).days - 1) // 30)] += net - applied  # 0-30, 31-60, 61-90, 91+
        f.aging[0] -= left  # more credit than debit: a credit balance, shown as current
    return out


def _records(session: Session, entity: str) -> Iterator[Mapping[str, Any]]:
    for page in session.source.pages(entity, page_size=5000):
        yield from page.records


def _accounts(session: Session, kind: str) -> dict[str, str]:
    """Dentally: patient id -> the account that pays for them."""
    if kind != "dentally":
        return {}
    return {str(r["id"]): _fam(r.get("account_id") or r["id"]) for r in _records(session, "patients")}


def _stated(session: Session, kind: str) -> dict[str, Decimal]:
    """The practice's own balance per family: the Dentrix aging table or Dentally accounts, when present."""
    entity, columns, key = (("aging", ("aging0to30", "aging31to60", "aging61to90", "aging91plus"), "guarid")
                            if kind == "dentrix" else ("accounts", ("current_balance",), "id"))
    try:
        return {_fam(r.get(key)): sum((_money(r.get(c)) for c in columns), _ZERO) for r in _records(session, entity)}
    except SourceError:
        return {}


def _maps(session: Session, entity: str, money: tuple[str, ...], dates: tuple[str, ...]) -> list[tuple[EntityMap, dict[str, str]]]:
    """The entity maps loading `entity` with a money column, each with its carried columns (source -> target)."""
    maps = [(em, {fm.sources[0]: target_name(fm) for fm in active_fields(em)
                  if len(fm.sources) == 1 and fm.kind != "relation" and fm.sources[0] in (*money, *dates)})
            for em in session.ordered_maps() if em.source == entity and em.kind != "skip"]
    return [(em, carried) for em, carried in maps if set(carried) & set(money)]


def _ids(session: Session, maps: list[tuple[EntityMap, dict[str, str]]], loaded: bool) -> list[str]:
    """Source ids some map loaded (`loaded`), or that every map skipped or rejected (with a reason in the ledger)."""
    marks = ",".join("?" * len(maps))
    having = "SUM(state = 'loaded') > 0" if loaded else "SUM(state = 'loaded') = 0 AND SUM(state IN ('skipped', 'rejected')) > 0"
    rows = session.ledger.db.execute(f"SELECT source_id FROM records WHERE map_id IN ({marks}) GROUP BY source_id "
                                     f"HAVING {having} ORDER BY source_id", [em.id for em, _ in maps])
    return [str(s) for (s,) in rows]


def _loaded(session: Session, entity: str, ledger: Ledger, maps: list[tuple[EntityMap, dict[str, str]]],
            accounts: Mapping[str, str]) -> Iterator[Entry]:
    """Entries of what was loaded: source records with their carried columns read back by external id."""
    reader, _, dates = ledger
    seen: set[str] = set()
    for em, carried in maps:
        keys = key_fields(em, session.source_schema)
        ids = [s for s in _ids(session, [(em, carried)], loaded=True) if s not in seen]
        seen.update(ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            found = session.destination.find(em.target_name, [external_id(session.source_name, entity, s) for s in chunk])
            stored = session.destination.read(em.target_name, sorted(found.values()), sorted(set(carried.values())))
            for record in session.source.fetch(entity, chunk):
                dest_id = found.get(external_id(session.source_name, entity, source_id_of(record, keys)))
                if dest_id is None or dest_id not in stored:
                    continue  # gone from the destination: its family's loaded A/R lacks it
                back = dict(record)
                for column, target in carried.items():
                    value = stored[dest_id].get(target)
                    back[column] = _day(value) if column in dates else _money(value)
                if (entry := reader(back, accounts)) is not None:
                    yield entry


def reconcile_ar(session: Session, *, tolerance: Decimal, as_of: date) -> ARReport | None:
    """A/R per family in the source and as loaded; None when the source has no ledger bridgework knows."""
    ledgers = _LEDGERS.get(session.source_name)
    if ledgers is None:
        return None
    report = ARReport(as_of=as_of, tolerance=tolerance)
    accounts = _accounts(session, session.source_name)
    every: list[Entry] = []
    expected: list[Entry] = []  # less what the ledger says was skipped or rejected (counted apart, as records are)
    not_loaded: list[Entry] = []
    streams: list[Iterator[Entry]] = []
    for entity, ledger in ledgers.items():
        reader, money, dates = ledger
        maps = _maps(session, entity, money, dates)
        excluded = set(_ids(session, maps, loaded=False)) if maps else set()
        keys = key_fields(maps[0][0], session.source_schema) if maps else ()
        for record in _records(session, entity):
            if (entry := reader(record, accounts)) is not None:
                every.append(entry)
                (not_loaded if excluded and source_id_of(record, keys) in excluded else expected).append(entry)
        if maps:
            streams.append(_loaded(session, entity, ledger, maps, accounts))
            report.notes.extend(f"{entity}.{c} is not carried by the map: its loaded figure is taken from the source"
                                for c in money if not any(c in carried for _, carried in maps))
    report.source, report.expected = _figures(iter(every), as_of), _figures(iter(expected), as_of)
    report.stated = _stated(session, session.source_name)
    stated_off = sum(1 for f, b in report.stated.items() if abs(b - report.source.get(f, Figures()).balance) > tolerance)
    if stated_off:  # the source's own state, before any load
        report.notes.append(f"{_families(stated_off)}: the practice's own aging/account balance differs from the ledger")
    if not streams:
        report.notes.insert(0, NO_LEDGER)
        return report
    report.not_loaded = _figures(iter(not_loaded), as_of)
    report.loaded = _figures((e for s in streams for e in s), as_of)
    for family in sorted(set(report.expected) | set(report.loaded)):
        a, b = report.expected.get(family, Figures()), report.loaded.get(family, Figures())
        pairs = [*((getattr(a, n), getattr(b, n)) for n in FIGURES), *zip(a.aging, b.aging)]
        if any(abs(x - y) > tolerance for x, y in pairs):
            report.families_off.append(family)
    if report.families_off:
        report.problems.append(f"A/R of {_families(len(report.families_off))} differs between the source and the "
                               f"destination (tolerance {tolerance})")
    if report.not_loaded:
        report.notes.append(f"{_families(len(report.not_loaded))}: ledger records skipped or rejected (the correction "
                            "report says why), not in the loaded A/R")
    return report
