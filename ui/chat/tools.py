"""What the chat can answer: each tool reads the ledger (read-only) or mapping.yaml and cites its numbers.

No tool returns a record value: the ledger holds ids, states, codes and counts only, and
before-images (which do hold values) are never read here.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz

from executor.workspace import Workspace
from mapper.errors import BridgeworkError
from mapper.spec import MappingSpec

# Words people use for an entity -> names it has in sources and destinations.
ENTITY_WORDS: dict[str, tuple[str, ...]] = {
    "patient": ("patient", "patients", "person", "people", "contact", "contacts", "res.partner"),
    "appointment": ("appointment", "appointments", "appt", "visit", "visits", "task", "event", "calendar.event"),
    "provider": ("provider", "providers", "dentist", "dentists", "hygienist", "rsc", "practitioner", "practitioners"),
    "carrier": ("carrier", "carriers", "insurance", "inscarrier", "insurer", "company", "companies"),
    "note": ("note", "notes", "clinicalnote", "clinical", "fullnotes"),
    "procedure": ("procedure", "procedures", "fullproclog", "treatment_plan_items", "cdt"),
    "ledger": ("ledger", "payment", "payments", "invoice", "invoices", "charges", "balance"),
    "plan": ("treatment plan", "treatment plans", "txcase", "treatment_plans", "opportunity", "opportunities", "crm.lead"),
    "recall": ("recall", "recalls", "recallpending"),
}
LOADED_STATES = ("loaded", "conflict")


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply, the numbers it used (what, value), and which tool gave it."""

    text: str
    facts: tuple[tuple[str, Any], ...] = ()
    tool: str | None = None
    refused: bool = False


class ChatContext:
    """Read-only access to one workspace's ledger and map."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    @cached_property
    def conn(self) -> sqlite3.Connection | None:
        """A read-only ledger connection, or None when there is no ledger yet."""
        if not self.ws.ledger_path.exists():
            return None
        conn = sqlite3.connect(f"file:{self.ws.ledger_path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows as dicts; [] when the ledger or the table does not exist yet."""
        if self.conn is None:
            return []
        try:
            return [dict(r) for r in self.conn.execute(sql, params)]
        except sqlite3.OperationalError:
            return []

    @cached_property
    def spec(self) -> MappingSpec | None:
        """mapping.yaml, or None when there is none (or it does not load)."""
        try:
            return MappingSpec.load(self.ws.mapping_path)
        except BridgeworkError:
            return None

    def maps_for(self, question: str) -> list[str] | None:
        """Entity map ids the question is about (None: it names no entity)."""
        if self.spec is None:
            return None
        words = _words(question)
        wanted = [key for key, names in ENTITY_WORDS.items() if any(n in words or n in question.lower() for n in names)]
        if not wanted:
            return None
        hits: list[str] = []
        for key in wanted:
            # Source entities first: carriers and patients may both land in res.partner.
            for attr in ("source", "target"):
                found = [em.id for em in self.spec.entities if _close(getattr(em, attr).lower(), ENTITY_WORDS[key])]
                if found:
                    hits.extend(found)
                    break
        return sorted(set(hits)) or None


def _close(name: str, words: tuple[str, ...]) -> bool:
    return any(w == name or fuzz.ratio(w, name) >= 85 for w in words)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z_.]+", text.lower()))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _state_counts(ctx: ChatContext, maps: list[str] | None) -> dict[str, dict[str, int]]:
    rows = ctx.rows("SELECT map_id, state, count(*) AS n FROM records GROUP BY map_id, state ORDER BY map_id, state")
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if maps is None or r["map_id"] in maps:
            out.setdefault(r["map_id"], {})[r["state"]] = int(r["n"])
    return out


def loaded(ctx: ChatContext, question: str) -> Answer:
    """How many records are loaded, per entity map (or for the entity the question names)."""
    maps = ctx.maps_for(question)
    counts = _state_counts(ctx, maps)
    if not counts:
        return Answer("Nothing has been loaded yet. Start with: bridgework sample, then bridgework run.", tool="loaded")
    parts, facts = [], []
    for map_id, states in counts.items():
        n = sum(states.get(s, 0) for s in LOADED_STATES)
        total = sum(states.values())
        parts.append(f"{map_id}: {n:,} of {total:,} loaded")
        facts.append((f"{map_id} loaded", n))
    return Answer("; ".join(parts) + ".", tuple(facts), tool="loaded")


def failures(ctx: ChatContext, question: str) -> Answer:
    """What was rejected or failed, grouped by reason, and what waits in the retry queue."""
    rows = ctx.rows(
        "SELECT map_id, state, COALESCE(error_code, 'unknown') AS code, count(*) AS n FROM records "
        "WHERE state IN ('rejected', 'failed', 'conflict') GROUP BY map_id, state, code ORDER BY n DESC, map_id, code"
    )
    if not rows:
        return Answer("Nothing failed: no record is rejected, failed or in conflict.", (("failed or rejected", 0),), tool="failures")
    total = sum(int(r["n"]) for r in rows)
    lines = [f"{r['map_id']}: {r['n']:,} {r['state']} ({r['code']})" for r in rows[:8]]
    retry = sum(int(r["n"]) for r in rows if r["state"] == "failed")
    text = f"{_plural(total, 'record')} did not load: " + "; ".join(lines) + "."
    if retry:
        text += (f" {_plural(retry, 'record')} {'waits' if retry == 1 else 'wait'} in the retry queue: "
                 "the next bridgework run or delta retries them.")
    text += " Details per record: the correction report (bridgework validate) and bridgework status."
    return Answer(text, (("not loaded", total), ("retry queue", retry)), tool="failures")


def unmatched_providers(ctx: ChatContext, question: str) -> Answer:
    """Providers/staff with no matching destination user."""
    rows = ctx.rows("SELECT source_id, status FROM owners ORDER BY source_entity, source_id")
    if not rows:
        return Answer("No owner matching has run yet: bridgework validate matches providers to users by email.", tool="unmatched_providers")
    missing = [r["source_id"] for r in rows if r["status"] != "matched"]
    if not missing:
        return Answer(f"All {len(rows)} providers matched a destination user.", (("providers matched", len(rows)),), tool="unmatched_providers")
    return Answer(
        f"{_plural(len(missing), 'provider')} had no matching user and are owned by \"Unassigned Provider\": "
        f"{', '.join(missing[:12])}{' …' if len(missing) > 12 else ''}. Add their emails in the destination, then run bridgework validate.",
        (("providers unmatched", len(missing)), ("providers total", len(rows))),
        tool="unmatched_providers",
    )


def waiting_for_review(ctx: ChatContext, question: str) -> Answer:
    """Field maps, entity maps and duplicate groups still waiting for a person."""
    facts: list[tuple[str, Any]] = []
    parts: list[str] = []
    if ctx.spec is None:
        return Answer("There is no map yet: run bridgework propose, then review it (bridgework review).", tool="waiting_for_review")
    fields = sum(1 for em in ctx.spec.entities for fm in em.fields if fm.status == "proposed")
    entities = sum(1 for em in ctx.spec.entities if em.status == "proposed")
    groups = ctx.rows("SELECT count(*) AS n FROM dedupe_groups WHERE status = 'proposed'")
    dupes = int(groups[0]["n"]) if groups else 0
    for n, what in ((fields, "field map"), (entities, "entity map"), (dupes, "duplicate group")):
        facts.append((f"{what}s waiting", n))
        if n:
            parts.append(_plural(n, what))
    if not parts:
        return Answer("Nothing is waiting for your review.", tuple(facts), tool="waiting_for_review")
    return Answer("Waiting for your review: " + ", ".join(parts) + ". Open bridgework review to decide.", tuple(facts),
                  tool="waiting_for_review")


def last_delta(ctx: ChatContext, question: str) -> Answer:
    """When the last delta ran and what it changed."""
    runs = ctx.rows("SELECT * FROM runs WHERE kind = 'delta' ORDER BY id DESC LIMIT 1")
    if not runs:
        return Answer("No delta has run yet. After the full load, bridgework delta picks up what changed.", tool="last_delta")
    run = runs[0]
    events = ctx.rows("SELECT action, count(*) AS n FROM events WHERE run_id = ? GROUP BY action ORDER BY action", (run["id"],))
    changed = {e["action"]: int(e["n"]) for e in events}
    summary = ", ".join(f"{n:,} {_PAST.get(a, a)}" for a, n in changed.items()) or "no changes"
    return Answer(
        f"The last delta was run {run['id']}, started {run['started_at']} by {run['operator']} ({run['status']}): {summary}.",
        (("delta run", run["id"]), *((f"{a}", n) for a, n in changed.items())),
        tool="last_delta",
    )


_PAST = {"create": "created", "update": "updated", "delete": "deleted", "restore": "restored"}


def eta(ctx: ChatContext, question: str) -> Answer:
    """How long until the running (or last) load finishes, from its throughput so far."""
    runs = ctx.rows("SELECT * FROM runs WHERE kind IN ('full', 'delta', 'sample') ORDER BY id DESC LIMIT 1")
    if not runs:
        return Answer("No run has started yet: bridgework run starts the load.", tool="eta")
    run = runs[0]
    counts = _state_counts(ctx, None)
    done = sum(n for states in counts.values() for s, n in states.items() if s in ("loaded", "conflict", "skipped", "rejected"))
    pending = sum(states.get("pending", 0) for states in counts.values())
    if run["status"] != "running":
        return Answer(f"Run {run['id']} is {run['status']} (ended {run['ended_at']}); {done:,} records are in an end state.",
                      (("records done", done),), tool="eta")
    span = ctx.rows("SELECT min(at) AS a, max(at) AS b, count(*) AS n FROM events WHERE run_id = ?", (run["id"],))
    total = _source_total(ctx)
    remaining = max(0, total - done) if total else pending
    if span and span[0]["n"] and span[0]["a"] != span[0]["b"]:
        seconds = (datetime.fromisoformat(span[0]["b"]) - datetime.fromisoformat(span[0]["a"])).total_seconds()
        rate = span[0]["n"] / seconds if seconds else 0.0
        if rate:
            minutes = remaining / rate / 60
            return Answer(f"Run {run['id']} is loading at {rate:,.0f} records/s; about {remaining:,} records remain, "
                          f"so roughly {minutes:,.0f} minutes to go.", (("records/s", round(rate, 1)), ("remaining", remaining)), tool="eta")
    return Answer(f"Run {run['id']} is running; {done:,} records are done and {remaining:,} remain. Not enough progress yet to estimate.",
                  (("records done", done), ("remaining", remaining)), tool="eta")


def _source_total(ctx: ChatContext) -> int:
    from mapper.schema import Schema

    if ctx.spec is None or not ctx.ws.source_schema_path.exists():
        return 0
    try:
        schema = Schema.load(ctx.ws.source_schema_path)
    except BridgeworkError:
        return 0
    return sum((schema.entity(em.source).row_count or 0) for em in ctx.spec.entities if schema.has(em.source))


def why_mapped(ctx: ChatContext, question: str) -> Answer:
    """Why a field was mapped where it was: the proposal's explanation, score and decision."""
    if ctx.spec is None:
        return Answer("There is no map yet: run bridgework propose.", tool="why_mapped")
    words = [w for w in re.findall(r"[A-Za-z_.]+", question) if len(w) > 2 and w.lower() not in _STOP]
    best: tuple[float, Any, Any] | None = None

    def closeness(names: list[str]) -> float:
        return max((fuzz.ratio(w.lower(), n.lower().split(".")[-1].removeprefix("custom:")) for w in words for n in names if n),
                   default=0.0)

    for em in ctx.spec.entities:
        for fm in em.fields:
            # The source field weighs most; the target breaks ties ("lastname -> name" vs "insconame -> name").
            score = max(closeness(fm.sources), 0.7 * closeness([fm.target or ""])) + 0.3 * closeness([fm.target or ""])
            if best is None or score > best[0]:
                best = (score, em, fm)
    if best is None or best[0] < 80:
        return Answer("I could not tell which field you mean. Name the source or destination field, e.g. "
                      "\"why was pager mapped to mobile?\"", tool="why_mapped")
    _, em, fm = best
    target = fm.target or fm.kind
    who = f", {fm.status} by {fm.decision.by}" if fm.decision.by else f", {fm.status}"
    return Answer(f"{em.source}.{' + '.join(fm.sources)} → {target} (confidence {fm.score:.0%}{who}): {fm.why or 'no explanation recorded'}.",
                  (("confidence", round(fm.score, 2)),), tool="why_mapped")


_STOP = {"why", "was", "were", "the", "mapped", "map", "to", "into", "field", "and", "how", "did", "you", "what", "for", "is"}


def run_history(ctx: ChatContext, question: str) -> Answer:
    """The runs so far: kind, status, when."""
    runs = ctx.rows("SELECT id, kind, status, started_at, ended_at, operator FROM runs ORDER BY id DESC LIMIT 8")
    if not runs:
        return Answer("No run yet.", (("runs", 0),), tool="run_history")
    text = "; ".join(f"run {r['id']} {r['kind']} {r['status']} (started {r['started_at']} by {r['operator']})" for r in runs)
    return Answer(f"Latest runs: {text}.", (("runs shown", len(runs)),), tool="run_history")


def duplicates(ctx: ChatContext, question: str) -> Answer:
    """Duplicate patient groups found by validate, by decision."""
    rows = ctx.rows("SELECT status, count(*) AS n FROM dedupe_groups GROUP BY status ORDER BY status")
    if not rows:
        return Answer("No duplicate groups: bridgework validate looks for them (family members are never merged on a shared email).",
                      (("duplicate groups", 0),), tool="duplicates")
    text = ", ".join(f"{r['n']:,} {r['status']}" for r in rows)
    return Answer(f"Duplicate patient groups: {text}. Decide the proposed ones in bridgework review (Data check).",
                  tuple((f"groups {r['status']}", int(r["n"])) for r in rows), tool="duplicates")


def schema_changes(ctx: ChatContext, question: str) -> Answer:
    """Custom fields and objects bridgework created in the destination."""
    rows = ctx.rows("SELECT key, state FROM schema_changes ORDER BY rowid")
    applied = [r["key"] for r in rows if r["state"] == "applied"]
    if not applied:
        return Answer("No custom field or object has been created yet (bridgework plan --apply does it).",
                      (("custom fields/objects", 0),), tool="schema_changes")
    names = ", ".join(k.split(":", 1)[-1] for k in applied[:10])
    return Answer(f"bridgework created {_plural(len(applied), 'custom field/object')}: {names}{' …' if len(applied) > 10 else ''}.",
                  (("custom fields/objects", len(applied)),), tool="schema_changes")


def overview(ctx: ChatContext, question: str) -> Answer:
    """The migration at a glance: loaded, not loaded, last run, what to do next."""
    counts = _state_counts(ctx, None)
    loaded_n = sum(n for s in counts.values() for k, n in s.items() if k in LOADED_STATES)
    bad = sum(n for s in counts.values() for k, n in s.items() if k in ("rejected", "failed"))
    runs = ctx.rows("SELECT id, kind, status FROM runs ORDER BY id DESC LIMIT 1")
    last = f"the last run is {runs[0]['id']} ({runs[0]['kind']}, {runs[0]['status']})" if runs else "no run yet"
    waiting = waiting_for_review(ctx, question)
    return Answer(f"{loaded_n:,} records loaded, {bad:,} rejected or failed; {last}. {waiting.text}",
                  (("loaded", loaded_n), ("rejected or failed", bad), *waiting.facts), tool="overview")


@dataclass(frozen=True, slots=True)
class Tool:
    """A question the chat can answer, how people ask it, and the function that answers."""

    name: str
    description: str
    examples: tuple[str, ...]
    run: Callable[[ChatContext, str], Answer] = field(repr=False)


TOOLS: tuple[Tool, ...] = (
    Tool("loaded", "Counts of loaded records per entity", (
        "how many patients are loaded?", "how many appointments made it?", "how many records are in the CRM",
        "number of patients migrated", "count of loaded notes", "how many carriers did we load",
        "did all the patients get loaded", "were all appointments migrated"), loaded),
    Tool("failures", "What failed or was rejected and why; the retry queue", (
        "what failed and why?", "which records were rejected", "show me the errors", "why did records fail",
        "what is in the retry queue", "any problems with the load"), failures),
    Tool("unmatched_providers", "Providers with no matching destination user", (
        "which providers had no matching user?", "unmatched providers", "which dentists have no account",
        "who is the unassigned provider", "providers without a user"), unmatched_providers),
    Tool("waiting_for_review", "Maps and duplicates waiting for a person", (
        "is anything waiting for my review?", "what do I still need to confirm", "unconfirmed fields",
        "what needs my approval", "anything left to review"), waiting_for_review),
    Tool("last_delta", "When the last delta ran and what it changed", (
        "when did the last delta run and what changed?", "last delta", "what did the delta update",
        "latest incremental sync", "when was the last top-up"), last_delta),
    Tool("eta", "Time left for the running load", (
        "how long until the run finishes?", "when will it be done", "time remaining", "eta of the migration",
        "how much longer"), eta),
    Tool("why_mapped", "Why a field was mapped where it was", (
        "why was Mobile mapped to phone?", "why did pager go to mobile", "explain the mapping of birthdate",
        "why is email mapped to that field", "reason for mapping"), why_mapped),
    Tool("run_history", "The runs so far", (
        "which runs have there been", "show the run history", "list the runs", "when did the last run start"), run_history),
    Tool("duplicates", "Duplicate patient groups", (
        "how many duplicate patients", "were duplicates found", "duplicate groups", "merged patients"), duplicates),
    Tool("schema_changes", "Custom fields and objects created", (
        "which custom fields were created", "what did the schema plan create", "custom objects", "new fields in the CRM"), schema_changes),
    Tool("overview", "The migration at a glance", (
        "how is the migration going?", "status", "give me a summary", "where are we", "progress overall"), overview),
)
