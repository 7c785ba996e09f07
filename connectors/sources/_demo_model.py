"""The seeded demo practice as plain objects: families, people, visits, procedures, money.

Layouts (Dentrix tables, Dentally resources) render these objects; every random draw that
shapes the practice happens here, from one `random.Random(seed)`, family by family, so both
layouts describe the same practice and nothing but the current family is held in memory.
Money is in integer cents (pence) until a layout formats it.
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from connectors.sources._demo_data import (
    AREA_CODES, CP1252_FIRST, CP1252_LAST, FAMILY_SIZES, FEMALE_NICKNAMES, HEALTH_ITEMS, INVALID_CODES, MAIL_DOMAINS, NICKNAMES,
    NON_ADA_CODES, NOTE_WORDS, PAYMENT_TYPES, PROCEDURES, REASONS, UK_AREAS, all_procedure_indices, procedure_fee, procedure_row,
    provider_roster,
)

T = TypeVar("T")
Emit = Callable[[str, tuple[object, ...]], None]
"""Hands one row of a table to the writer."""
Truth = Callable[[str, int, str, object, str], None]
"""Records one injected problem in _bw_truth: kind, group, entity, record id, detail."""
TODAY = date(2026, 6, 30).toordinal()
"""The demo practice's "today": fixed so the same seed gives the same file on any day."""
HISTORY_DAYS = 8 * 365

# Target rates of every injected problem (denominator in the comment). PracticeStats reports
# the counts actually produced; tests assert them against these within a tolerance.
RATES: dict[str, float] = {
    "duplicate": 0.03,            # of people aged 16+: re-registered (at another site when there are several)
    "family_shared_contact": 0.5,  # of families with 2+ members: members share the guarantor's email and mobile
    "missing_email_adult": 0.15,  # of adults not sharing a family email
    "invalid_email": 0.03,        # of non-empty emails
    "malformed_phone": 0.04,      # of non-empty mobile numbers
    "invalid_cdt": 0.01,          # of completed procedures: malformed code (D012, DO120, ...)
    "non_ada_code": 0.01,         # of completed procedures: practice-defined code
    "deleted_patient": 0.004,     # of people: row gone, their appointments left as orphans
    "new_patient_appt": 0.05,     # of appointments not completed: booked by name only (Dentrix patid 0)
    "cp1252_name": 0.03,          # of people: accents / curly quotes in the name
    "long_note": 0.01,            # of patient notes: longer than 8 KB (Dentrix truncates)
    "long_clinical_note": 0.002,  # of clinical notes: longer than 32,000 characters (at least one)
    "provider_no_email": 0.25,    # of providers
    "guarantor_chain": 0.02,      # of families with 2+ members: the guarantor is guaranteed by another family's head
    "non_patient_head": 0.08,     # of families with 2+ members: the guarantor is a non-patient
}
@dataclass(frozen=True, slots=True)
class Pools:
    """Name, street and place pools drawn from Faker once (Faker is too slow per record)."""

    first_male: tuple[str, ...]
    first_female: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]  # (city, state or county, zip or postcode)
    companies: tuple[str, ...]


def make_pools(seed: int, locale: str) -> Pools:
    """Pools of plausible values for `locale` (en_US or en_GB), seeded."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    firsts_m = sorted({fake.first_name_male() for _ in range(900)} | {n for n in NICKNAMES if n not in FEMALE_NICKNAMES})
    firsts_f = sorted({fake.first_name_female() for _ in range(900)} | FEMALE_NICKNAMES)
    lasts = sorted({fake.last_name() for _ in range(2500)})
    streets = tuple(fake.street_address().replace("\n", " ") for _ in range(1500))
    if locale == "en_GB":
        places = tuple((fake.city(), fake.county(), fake.postcode()) for _ in range(400))
    else:
        places = tuple((fake.city(), fake.state_abbr(), fake.zipcode()) for _ in range(400))
    companies = tuple(fake.company() for _ in range(300))
    return Pools(tuple(firsts_m), tuple(firsts_f), tuple(lasts), streets, places, companies)


def strip_accents(text: str) -> str:
    """The name as staff type it on a US keyboard: accents and curly quotes dropped."""
    text = text.replace("’", "'").replace("ø", "o").replace("Ø", "O")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


class Visit:
    """One appointment and what happened at it."""

    __slots__ = ("aid", "day", "hour", "minute", "length", "prov", "op", "state", "reason", "procs", "pays", "adjust", "note", "booked", "planned", "new_patient")

    def __init__(self) -> None:
        self.procs: list[tuple[int, int, int, str, int]] = []  # (code index, fee, tooth, surfaces, insurance paid)
        self.pays: list[tuple[int, int]] = []  # (amount, payment type index)
        self.adjust = 0
        self.note: str | None = None
        self.planned = False
        self.new_patient: tuple[str, str] | None = None  # (booked name, phone) for name-only bookings


class Person:
    """One person of a family (a patient row, or a deleted one whose appointments remain)."""

    __slots__ = (
        "pid", "fid", "site", "first", "last", "mi", "pref", "gender", "dob", "status", "fampos", "head", "guar",
        "email", "email_problem", "mobile", "phone_problem", "work", "created", "prov1", "prov2", "ins1", "ins2", "rel1",
        "visits", "planned", "alerts", "privacy", "dup_of", "dup_detail", "deleted", "cp1252", "note", "recalls",
        "docs", "emp", "ref", "shares_contact", "chain", "age",
    )

    def __init__(self) -> None:
        self.ins1 = self.ins2 = self.rel1 = 0
        self.dup_of = 0
        self.dup_detail = ""
        self.deleted = False
        self.cp1252 = False
        self.note: str | None = None
        self.shares_contact = False
        self.chain = False
        self.email_problem = ""
        self.phone_problem = ""
        self.planned: list[tuple[int, int, int, str, int]] = []


@dataclass(slots=True)
class Family:
    """A household: one address and home phone, one guarantor, one account."""

    fid: int
    site: int
    people: list[Person]
    street: str
    place: tuple[str, str, str]
    home_phone: str
    coverage: list[tuple[int, int, str]]  # (plan index, subscriber pid, subscriber id) per insured row
    duplicate: bool = False


class PracticeModel:
    """Draws the practice family by family from one seeded RNG."""

    def __init__(self, *, patients: int, sites: int, seed: int, uk: bool) -> None:
        self.patients = patients
        self.sites = max(1, sites)
        self.rng = random.Random(seed)
        self.uk = uk
        self.pools = make_pools(seed, "en_GB" if uk else "en_US")
        self.providers = provider_roster(self.sites)
        self.operatories = [[f"OP{s * 6 + i + 1}" for i in range(5)] for s in range(self.sites)]
        self.plans = max(6, patients // 150)
        self.employers = max(5, patients // 60)
        self.referrals = max(5, patients // 400)
        self.next_pid = 1
        self.next_aid = 1
        self.written = 0
        self.last_head = 0
        self.sizes = tuple(s for s, _ in FAMILY_SIZES)
        self.size_cum = _cumulative([w for _, w in FAMILY_SIZES])
        codes = PROCEDURES
        self.recall_codes = [i for i, p in enumerate(codes) if p[5] == "recall"]
        self.other_codes = [i for i, p in enumerate(codes) if p[5] != "recall"]
        self.other_cum = _cumulative([codes[i][4] for i in self.other_codes])
        self.recall_sets = {k: list(itertools.permutations(self.recall_codes, k)) for k in (2, 3)}
        self.sentences = tuple(" ".join(self.rng.choices(NOTE_WORDS, k=8)) + "." for _ in range(400))

    # -- draws: one random() each, so every layout consumes the same sequence ------------------
    def _below(self, n: int) -> int:
        return int(self.rng.random() * n)

    def _span(self, a: int, b: int) -> int:
        return a + int(self.rng.random() * (b - a))

    def _between(self, a: int, b: int) -> int:
        return a + int(self.rng.random() * (b - a + 1))

    def _pick(self, seq: tuple[T, ...] | list[T]) -> T:
        return seq[int(self.rng.random() * len(seq))]

    def _weighted(self, seq: tuple[T, ...] | list[T], cum: tuple[float, ...]) -> T:
        return seq[bisect.bisect(cum, self.rng.random() * cum[-1])]

    # -- people ---------------------------------------------------------------------------
    def families(self) -> Iterator[Family]:
        """Every family until the practice holds `patients` patient rows."""
        fid = 0
        while self.written < self.patients:
            fid += 1
            family = self._family(fid)
            yield family
            for person in family.people:
                if person.dup_of == 0 and not person.deleted and person.age >= 16 and self.written < self.patients:
                    if self.rng.random() < RATES["duplicate"]:
                        fid += 1
                        yield self._duplicate(fid, person, family)

    def _family(self, fid: int) -> Family:
        rng = self.rng
        size = self._weighted(self.sizes, self.size_cum)
        size = min(size, self.patients - self.written)
        site = self._below(self.sites)
        street = self._pick(self.pools.streets)
        place = self._pick(self.pools.places)
        last = self._pick(self.pools.last)
        fam_status = self._weighted(_FAMILY_STATUS, _FAMILY_STATUS_CUM)
        people: list[Person] = []
        family = Family(fid, site, people, street, place, self.phone(), [])
        multi = size > 1
        shared = multi and rng.random() < RATES["family_shared_contact"]
        head_nonpatient = multi and rng.random() < RATES["non_patient_head"]
        chain_to = self.last_head if multi and self.last_head and rng.random() < RATES["guarantor_chain"] else 0
        for i in range(size):
            p = self._person(fid, site, last, head=i == 0, child=i >= 2 or (i == 1 and size > 2 and rng.random() < 0.3))
            if i == 1 and p.age >= 18:
                p.fampos = 2
                people[0].fampos = 2
            if i == 0:
                if head_nonpatient:
                    p.status = "non_patient"
                p.chain = bool(chain_to)
                p.guar = chain_to or p.pid
            else:
                p.status = fam_status if rng.random() < 0.85 else self._pick(("active", "inactive"))
                p.guar = people[0].pid
            people.append(p)
        head = people[0]
        if head.status not in ("non_patient",):
            head.status = fam_status
        if shared:
            for p in people[1:]:
                p.email, p.email_problem, p.mobile, p.phone_problem = head.email, head.email_problem, head.mobile, head.phone_problem
                p.shares_contact = True
            head.shares_contact = True
        for p in people:
            if rng.random() < RATES["deleted_patient"] and not p.head:
                p.deleted = True
            else:
                self.written += 1
            self._history(p)
        if rng.random() < 0.55:
            family.coverage.append((self._below(self.plans), head.pid, self._digits(9)))
            for p in people:
                p.ins1, p.rel1 = 1, (1 if p.head else (2 if p.fampos == 2 else 3))
            if multi and rng.random() < 0.2:
                family.coverage.append((self._below(self.plans), people[1].pid, self._digits(9)))
                for p in people:
                    p.ins2 = 2
        if not head.chain:
            self.last_head = head.pid
        return family

    def _person(self, fid: int, site: int, last: str, *, head: bool, child: bool) -> Person:
        rng = self.rng
        p = Person()
        p.pid = self.next_pid
        self.next_pid += 1
        p.fid, p.site, p.head = fid, site, head
        p.gender = 1 if rng.random() < 0.48 else 2
        if rng.random() < RATES["cp1252_name"]:
            p.cp1252 = True
            p.first = self._pick(CP1252_FIRST)
            if head or rng.random() < 0.5:
                last = self._pick(CP1252_LAST)
        else:
            p.first = self._pick(self.pools.first_male if p.gender == 1 else self.pools.first_female)
        p.last = last
        p.mi = chr(65 + self._below(26)) if rng.random() < 0.4 else ""
        p.pref = self._pick(("", "", "", NICKNAMES.get(p.first, "")))
        p.age = self._between(1, 17) if child else self._between(18, 92) if not head else self._between(24, 88)
        p.dob = TODAY - p.age * 365 - self._below(365)
        p.fampos = 3 if child else 1
        p.status = "active"
        p.created = TODAY - self._below(HISTORY_DAYS)
        if child and rng.random() < 0.8:
            p.email, p.email_problem = "", "missing"
        else:
            p.email, p.email_problem = self._email(p.first, last)
        p.mobile, p.phone_problem = ("", "") if child and rng.random() < 0.7 else self._mobile()
        p.work = self.phone() if not child and rng.random() < 0.2 else ""
        provs = self.providers[site]
        p.prov1 = provs[self._below(2)][0]
        p.prov2 = provs[2 + self._below(2)][0]
        p.alerts = [self._below(len(HEALTH_ITEMS)) for _ in range(self._pick((0, 0, 0, 1, 1, 2)))]
        p.privacy = self._pick((0, 0, 0, 0, 0, 0, 1, 2, 3))
        p.emp = self._below(self.employers) + 1 if not child and rng.random() < 0.4 else 0
        p.ref = self._below(self.referrals) + 1 if rng.random() < 0.2 else 0
        p.note = self._note(self._between(8, 40)) if rng.random() < 0.08 else None
        if p.note is not None and rng.random() < RATES["long_note"]:
            p.note = self._note(self._between(1500, 2500))
        p.docs = self._pick((0, 0, 0, 0, 0, 1, 1, 2))
        p.visits = []
        p.recalls = []
        return p

    def _duplicate(self, fid: int, original: Person, family: Family) -> Family:
        rng = self.rng
        p = self._person(fid, original.site, original.last, head=True, child=False)
        p.age, p.dob, p.gender = original.age, original.dob, original.gender
        if self.sites > 1:
            p.site = (original.site + 1 + self._below(self.sites - 1)) % self.sites
            provs = self.providers[p.site]
            p.prov1, p.prov2 = provs[self._below(2)][0], provs[2 + self._below(2)][0]
        p.first, p.last, detail = self._name_variant(original)
        p.cp1252 = any(ord(ch) > 127 for ch in p.first + p.last)
        if original.email and not original.email_problem and rng.random() < 0.6:
            p.email, p.email_problem = original.email, ""
            p.mobile, p.phone_problem = (original.mobile, original.phone_problem) if rng.random() < 0.5 else self._mobile()
            detail += ",same_email"
        else:
            p.mobile, p.phone_problem = original.mobile, original.phone_problem
            detail += ",same_phone"
        if rng.random() < 0.1 and (d := date.fromordinal(p.dob)).day <= 12 and d.day != d.month:
            p.dob = date(d.year, d.day, d.month).toordinal()
            detail += ",dob_day_month_swapped"
        p.dup_of = original.pid
        p.dup_detail = ("cross_site:" if p.site != original.site else "same_site:") + detail
        p.status = "active"
        p.guar = p.pid
        self.written += 1
        self._history(p)
        home = family.home_phone if rng.random() < 0.7 else self.phone()
        return Family(fid, p.site, [p], family.street, family.place, home, [], duplicate=True)

    def _name_variant(self, p: Person) -> tuple[str, str, str]:
        roll, where, letter = self.rng.random(), self.rng.random(), self._below(26)  # same draws for every name
        if p.first in NICKNAMES:
            return NICKNAMES[p.first], p.last, "nickname"
        if p.cp1252:
            return strip_accents(p.first), strip_accents(p.last), "accent_dropped"
        if roll < 0.35:
            return p.first.upper(), p.last.upper(), "upper_case"
        if roll < 0.7 and len(p.last) > 3:
            i = 1 + int(where * (len(p.last) - 3))
            return p.first, p.last[:i] + p.last[i + 1] + p.last[i] + p.last[i + 2:], "typo"
        return f"{p.first} {chr(65 + letter)}", p.last, "initial_in_first_name"

    # -- contacts -------------------------------------------------------------------------
    def _email(self, first: str, last: str) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < RATES["missing_email_adult"]:
            return "", "missing"
        local = strip_accents(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
        local += str(self._below(100)) if rng.random() < 0.5 else ""
        domain = self._pick(MAIL_DOMAINS)
        if rng.random() < RATES["invalid_email"]:
            bad = self._pick((f"{local}@{domain.split('.')[0]}", f"{local} {domain}", f"{local}@@{domain}", f"{local}@{domain.replace('.', ',')}", f"{local}.{domain}"))
            return bad, "invalid"
        return f"{local}@{domain}", ""

    def _digits(self, n: int) -> str:
        return str(self._span(10 ** (n - 1), 10**n))

    def phone(self, rng: random.Random | None = None) -> str:
        """A landline number; renderers pass their own RNG so the model's sequence is untouched."""
        # Four draws whatever the locale, so UK and US renderings stay the same practice.
        r = (rng or self.rng).random
        area, ex, num, fmt = int(r() * 6), 200 + int(r() * 800), int(r() * 10000), int(r() * 4)
        if self.uk:
            return f"{UK_AREAS[area]} {num:04d}"
        code = AREA_CODES[area]
        return (f"({code}) {ex}-{num:04d}", f"{code}-{ex}-{num:04d}", f"{code}{ex}{num:04d}", f"{code}.{ex}.{num:04d}")[fmt]

    def _mobile(self) -> tuple[str, str]:
        roll, digits, shape, landline = self.rng.random(), self._digits(6), self._below(5), self.phone()
        if roll < RATES["malformed_phone"]:
            return (f"{digits[:3]}-{digits[3:]}", f"{digits}0 x", "call mom", f"{digits}12345678", "000-000-0000")[shape], "malformed"
        if self.uk:
            number = f"7700 9{digits[1:]}"
            return (f"+44 {number}" if shape < 2 else f"0{number}"), ""
        return landline, ""

    def _note(self, words: int) -> str:
        rng = self.rng
        sentences = self.sentences
        return " ".join([sentences[int(rng.random() * len(sentences))] for _ in range(1 + words // 8)])

    # -- history --------------------------------------------------------------------------
    def _history(self, p: Person) -> None:
        rng = self.rng
        status = "active" if p.deleted else p.status
        if status == "non_patient":
            return
        count = {"active": self._between(2, 7), "inactive": self._between(1, 3), "archived": self._between(0, 2)}[status]
        end = TODAY - (1 if status == "active" else 800 if status == "inactive" else 1500)
        start = max(p.created, p.dob + 365, TODAY - HISTORY_DAYS)
        if end <= start:
            start = end - 30
        days = sorted(self._span(start, end) for _ in range(count))
        site_provs = self.providers[p.site]
        for day in days:
            p.visits.append(self._visit(p, day, site_provs, past=True))
        if status == "active" and rng.random() < 0.7:
            p.visits.append(self._visit(p, TODAY + self._between(1, 180), site_provs, past=False))
        if status == "active" and rng.random() < 0.2:
            p.planned = [self._proc(self._pick(self.other_codes), p.ins1) for _ in range(self._between(1, 3))]
        if status in ("active", "inactive") and p.visits:
            last = max(v.day for v in p.visits if v.day <= TODAY) if any(v.day <= TODAY for v in p.visits) else TODAY
            p.recalls = [(1, last + 182)] + ([(3, last + 365)] if rng.random() < 0.3 else [])

    def _visit(self, p: Person, day: int, provs: list[tuple[str, int, str]], *, past: bool) -> Visit:
        rng = self.rng
        v = Visit()
        v.aid = self.next_aid
        self.next_aid += 1
        v.day = day
        v.hour, v.minute = self._between(8, 16), self._pick((0, 10, 20, 30, 40, 50))
        v.length = self._pick((30, 40, 60, 60, 90))
        v.booked = day - self._between(1, 120)
        recall = rng.random() < 0.6
        v.prov = provs[2 + self._below(2)][0] if recall else provs[self._below(2)][0]
        v.op = self._below(5)
        v.reason = self._pick(REASONS)
        if not past:
            v.state = "confirmed" if rng.random() < 0.4 else "scheduled"
        elif p.deleted:
            v.state = self._pick(("scheduled", "broken", "no_show"))
        else:
            v.state = self._weighted(_VISIT_STATES, _VISIT_STATES_CUM)
        if v.state not in ("completed", "deleted") and rng.random() < RATES["new_patient_appt"]:
            v.new_patient = (f"{p.last}, {p.first}", p.mobile or "")
        if v.state == "completed":
            n = self._weighted((2, 3, 4), _PROCS_PER_VISIT_CUM)
            if recall:
                codes = list(self._pick(self.recall_sets[min(n, 3)]))
                if n > 3:
                    codes.append(self._weighted(self.other_codes, self.other_cum))
            else:
                codes = [self._weighted(self.other_codes, self.other_cum) for _ in range(n)]
            v.procs = [self._proc(c, p.ins1) for c in codes]
            due = sum(fee - ins for _, fee, _, _, ins in v.procs)
            if rng.random() < 0.75 and due > 0:
                v.pays.append((due if rng.random() < 0.8 else due // 2, self._below(4)))
            if rng.random() < 0.05:
                v.adjust = -min(due, self._pick((1000, 2500, 5000)))
            if rng.random() < 0.35:
                v.note = self._note(self._between(15, 60))
        return v

    def _proc(self, code: int, insured: int) -> tuple[int, int, int, str, int]:
        rng = self.rng
        roll = rng.random()
        if roll < RATES["invalid_cdt"]:
            code = -1 - self._below(len(INVALID_CODES))
        elif roll < RATES["invalid_cdt"] + RATES["non_ada_code"]:
            code = -100 - self._below(len(NON_ADA_CODES))
        fee = procedure_fee(code)
        tooth, surfaces = 0, ""
        if code >= 0 and PROCEDURES[code][5] == "restorative":
            tooth = self._between(1, 32)
            surfaces = self._pick(("O", "MO", "DO", "MOD", "B", "L", "F"))
        ins = (fee * self._pick((50, 60, 80, 100)) // 100) if insured and fee else 0
        return code, fee, tooth, surfaces, ins


def _cumulative(weights: list[float] | tuple[float, ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


_FAMILY_STATUS = ("active", "inactive", "archived")
_FAMILY_STATUS_CUM = _cumulative((0.5, 0.4, 0.1))
_VISIT_STATES = ("completed", "broken", "no_show", "deleted")
_VISIT_STATES_CUM = _cumulative((0.84, 0.10, 0.04, 0.02))
_PROCS_PER_VISIT_CUM = _cumulative((0.3, 0.45, 0.25))


__all__ = [
    "HEALTH_ITEMS", "PAYMENT_TYPES", "PROCEDURES", "RATES", "TODAY", "Emit", "Family", "Person", "PracticeModel", "Truth", "Visit",
    "all_procedure_indices", "procedure_row",
]
