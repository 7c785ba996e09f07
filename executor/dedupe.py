"""Family-aware duplicate detection: name + date of birth decide, email and phone are only evidence.

Family members share an email and a phone, so those never merge anyone on their own. A
group is proposed when two records of different accounts carry the same normalised last
name, a nickname-tolerant first name and the same date of birth (or the day and month
swapped, weaker). A person confirms or splits each group; merges stay reversible until the load.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from executor.ledger import Ledger
from mapper.errors import BridgeworkError
from mapper.schema import Entity

_NICKNAMES: dict[str, str] = {
    "bill": "william", "will": "william", "liam": "william", "bob": "robert", "rob": "robert", "bobby": "robert",
    "dick": "richard", "rick": "richard", "rich": "richard", "jim": "james", "jimmy": "james", "jamie": "james",
    "mike": "michael", "mick": "michael", "dave": "david", "tom": "thomas", "tommy": "thomas", "joe": "joseph",
    "chris": "christopher", "kit": "christopher", "dan": "daniel", "danny": "daniel", "matt": "matthew",
    "tony": "anthony", "steve": "steven", "stephen": "steven", "nick": "nicholas", "alex": "alexander",
    "sam": "samuel", "ben": "benjamin", "ed": "edward", "ted": "edward", "eddie": "edward", "andy": "andrew",
    "drew": "andrew", "greg": "gregory", "pat": "patrick", "pete": "peter", "jon": "jonathan", "johnny": "john",
    "jack": "john", "charlie": "charles", "chuck": "charles", "ken": "kenneth", "larry": "lawrence", "jerry": "gerald",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth", "eliza": "elizabeth",
    "kate": "katherine", "katie": "katherine", "kathy": "katherine", "catherine": "katherine", "cathy": "katherine",
    "jen": "jennifer", "jenny": "jennifer", "maggie": "margaret", "meg": "margaret", "peggy": "margaret",
    "sue": "susan", "susie": "susan", "patty": "patricia", "trish": "patricia", "becky": "rebecca",
    "sandy": "sandra", "debbie": "deborah", "deb": "deborah", "vicky": "victoria",
    "abby": "abigail", "mandy": "amanda", "cindy": "cynthia", "jess": "jessica", "jessie": "jessica",
    "chrissy": "christina", "tina": "christina", "nan": "ann", "annie": "ann", "anne": "ann", "molly": "mary",
    "polly": "mary", "sally": "sarah", "sara": "sarah", "josh": "joshua", "zach": "zachary", "nate": "nathan",
}
_SPACES = re.compile(r"[^a-z]+")
_FIELD_HINTS: dict[str, re.Pattern[str]] = {
    "first": re.compile(r"^(first_?name|fname|forename|given_?name)$", re.I),
    "last": re.compile(r"^(last_?name|lname|surname|family_?name)$", re.I),
    "preferred": re.compile(r"^(pref(erred)?_?name|nick_?name|known_?as)$", re.I),
    "dob": re.compile(r"(birth|^dob$)", re.I),
    "family": re.compile(r"^(fam_?id|family_?id|household_?id)$", re.I),
    "guarantor": re.compile(r"^(guar_?id|guarantor(_?id)?|account_?id|payer_?id)$", re.I),
    "site": re.compile(r"^(clinic_?id|site_?id|practice_?id)$", re.I),
}


def fold(text: Any) -> str:
    """Lower case, accents folded, only letters: 'José-María ' -> 'josemaria'."""
    if text is None:
        return ""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return _SPACES.sub("", plain)


def canonical_first(text: Any) -> str:
    """A first name (middle initials dropped) with nicknames resolved to the formal name."""
    words = str(text or "").split()
    name = fold(words[0]) if words else ""
    return _NICKNAMES.get(name, name)


@dataclass(frozen=True, slots=True)
class IdentityFields:
    """Which source columns carry the identity evidence of a person entity."""

    first: str
    last: str
    dob: str
    preferred: str | None = None
    family: str | None = None
    guarantor: str | None = None
    site: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    @classmethod
    def detect(cls, entity: Entity) -> IdentityFields | None:
        """Find the columns by name and type; None when the entity is not a person."""
        found: dict[str, str] = {}
        for f in entity.fields:
            for role, pattern in _FIELD_HINTS.items():
                if role not in found and pattern.search(f.name):
                    found[role] = f.name
        if not {"first", "last", "dob"} <= found.keys():
            return None
        emails = tuple(f.name for f in entity.fields if f.type == "email" or "email" in f.name.lower())
        phones = tuple(f.name for f in entity.fields if f.type == "phone" or re.search(r"phone|mobile|pager", f.name, re.I))
        return cls(found["first"], found["last"], found["dob"], found.get("preferred"), found.get("family"),
                   found.get("guarantor"), found.get("site"), emails, phones)


@dataclass
class Group:
    """A proposed set of records that are one person, with the evidence that says so."""

    group_id: str
    members: list[str]
    survivor: str
    evidence: list[str] = field(default_factory=list)
    score: float = 0.0


def _person(record: Mapping[str, Any], f: IdentityFields, sid: str) -> dict[str, Any]:
    firsts = {canonical_first(record.get(f.first))}
    if f.preferred and record.get(f.preferred):
        firsts.add(canonical_first(record.get(f.preferred)))
    return {
        "sid": sid, "last": fold(record.get(f.last)), "firsts": firsts - {""}, "dob": str(record.get(f.dob) or ""),
        "family": str(record.get(f.family) or "") if f.family else "",
        "guarantor": str(record.get(f.guarantor) or "") if f.guarantor else "",
        "site": str(record.get(f.site) or "") if f.site else "",
        "emails": {str(record[e]).strip().lower() for e in f.emails if record.get(e)},
        "phones": {re.sub(r"\D", "", str(record[p]))[-10:] for p in f.phones if record.get(p)} - {""},
    }


def _swapped(dob: str) -> str:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", dob)
    return f"{m.group(1)}-{m.group(3)}-{m.group(2)}" if m and m.group(2) != m.group(3) and int(m.group(3)) <= 12 else ""


def _compare(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, list[str]] | None:
    if a["family"] and a["family"] == b["family"] or a["guarantor"] and a["guarantor"] == b["guarantor"]:
        return None  # one account: family members, never the same person twice
    if a["last"] != b["last"] and fuzz.ratio(a["last"], b["last"]) < 80:
        return None
    name = "first name" if a["last"] == b["last"] else "first name, last name with a typo"
    if not a["firsts"] & b["firsts"]:
        best = max((fuzz.ratio(x, y) for x in a["firsts"] for y in b["firsts"]), default=0)
        if best < 85:
            return None
        name = "similar first name"
    score, evidence = (0.6 if a["last"] == b["last"] else 0.5), [f"same {name}"]
    if a["dob"] == b["dob"]:
        score += 0.2
        evidence.append("same date of birth")
    else:
        score += 0.05
        evidence.append("date of birth with day and month swapped")
    if a["emails"] & b["emails"]:
        score += 0.1
        evidence.append("shared email")
    if a["phones"] & b["phones"]:
        score += 0.05
        evidence.append("shared phone")
    if a["site"] != b["site"]:
        evidence.append("different sites")
    return min(score, 0.99), evidence


def find_groups(records: Iterable[tuple[str, Mapping[str, Any]]], fields: IdentityFields) -> list[Group]:
    """Proposed duplicate groups among (source id, record) pairs, deterministic."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    people: list[dict[str, Any]] = []
    for sid, record in records:
        p = _person(record, fields, sid)
        if not p["last"] or not p["dob"]:
            continue
        people.append(p)
        blocks.setdefault(p["dob"], []).append(p)
    parent: dict[str, str] = {}
    notes: dict[str, tuple[float, list[str]]] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for p in people:
        for key in (p["dob"], _swapped(p["dob"])):
            for q in blocks.get(key, ()):
                if q["sid"] == p["sid"] or (key == p["dob"] and q["sid"] < p["sid"]):
                    continue
                verdict = _compare(p, q)
                if verdict is None:
                    continue
                ra, rb = root(p["sid"]), root(q["sid"])
                if ra != rb:
                    parent[max(ra, rb, key=_order)] = min(ra, rb, key=_order)
                notes[p["sid"]] = notes[q["sid"]] = verdict
    groups: dict[str, list[str]] = {}
    for sid in parent:
        groups.setdefault(root(sid), []).append(sid)
    out = []
    for survivor, members in sorted(groups.items(), key=lambda kv: _order(kv[0])):
        members = sorted(set(members) | {survivor}, key=_order)
        score, evidence = notes.get(members[-1], (0.0, []))
        out.append(Group(f"G{survivor}", members, survivor, evidence, round(score, 2)))
    return out


def _order(sid: str) -> tuple[int, str]:
    return (int(sid), "") if sid.isdigit() else (0, sid)


def store_groups(ledger: Ledger, entity: str, groups: list[Group]) -> int:
    """Record proposed groups; decisions a person already made are kept. New groups added."""
    added = 0
    with ledger.db.conn:
        for g in groups:
            cur = ledger.db.conn.execute(
                "INSERT OR IGNORE INTO dedupe_groups (group_id, entity, members, survivor, evidence, score, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'proposed')",
                (g.group_id, entity, json.dumps(g.members), g.survivor, json.dumps(g.evidence), g.score))
            added += cur.rowcount
    return added


def decide(ledger: Ledger, group_id: str | None, status: str, *, min_score: float = 0.0) -> int:
    """Confirm (status 'confirmed') or split ('split') one group, or every proposed group at or above min_score.

    A decision can change until the group's records are loaded; after that, only a rollback reopens it.
    """
    if group_id is not None:
        row = ledger.query("SELECT entity, members FROM dedupe_groups WHERE group_id = ?", (group_id,))
        if not row:
            raise BridgeworkError(f"There is no duplicate group {group_id}.", hint="See the groups: bridgework validate")
        members = json.loads(row[0]["members"])
        marks = ",".join("?" * len(members))
        loaded = ledger.scalar(f"SELECT COUNT(*) FROM records WHERE source_entity = ? AND state = 'loaded' "
                               f"AND source_id IN ({marks})", [row[0]["entity"], *members])
        if loaded:
            raise BridgeworkError(f"Duplicate group {group_id} is already loaded, so its decision is final.",
                                  hint="To change it, roll the load back first: bridgework rollback")
    with ledger.db.conn:
        if group_id is None:  # bulk decisions only ever touch open groups
            cur = ledger.db.conn.execute(
                "UPDATE dedupe_groups SET status = ?, decided_by = ?, decided_at = ? WHERE status = 'proposed' AND score >= ?",
                (status, ledger.operator, ledger.clock(), min_score))
        else:
            cur = ledger.db.conn.execute(
                "UPDATE dedupe_groups SET status = ?, decided_by = ?, decided_at = ? WHERE group_id = ?",
                (status, ledger.operator, ledger.clock(), group_id))
    return int(cur.rowcount)


def groups(ledger: Ledger, status: str | None = None) -> list[dict[str, Any]]:
    """Stored groups (members and evidence decoded)."""
    rows = ledger.query("SELECT * FROM dedupe_groups WHERE status = COALESCE(?, status) ORDER BY group_id", (status,))
    for row in rows:
        row["members"] = json.loads(row["members"])
        row["evidence"] = json.loads(row["evidence"])
    return rows
