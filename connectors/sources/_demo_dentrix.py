"""Renders the demo practice as Dentrix G-series tables (reference/sources.md §1.3).

Quirks kept on purpose: char columns truncated to their width and space padded, every column
NOT NULL ('' and 0 for missing), the mobile number in patient.pager, the home phone on the
shared address, guarid = self for heads of account, appt.patid 0 for name-only bookings,
appt.status -106 for completed visits, fullproclog holding procedures and ledger alike
(payments negative), automodifiedtimestamp on every table.
"""

from __future__ import annotations

import random
import uuid
from datetime import date

from connectors.sources._demo_model import (
    HEALTH_ITEMS, PAYMENT_TYPES, PROCEDURES, RATES, TODAY, Emit, Family, Person, PracticeModel, Truth, Visit,
    all_procedure_indices, procedure_row,
)

STATUS_CODES = {"active": 1, "non_patient": 2, "inactive": 3, "archived": 4}
APPT_STATUS = {"completed": -106, "scheduled": 0, "confirmed": 201, "broken": 0, "no_show": 0, "deleted": 0}
APPT_STATUS_DEFS = ((201, "Confirmed"), (202, "Left message"), (203, "Arrived"))
APPT_TYPE_DEFS = ((211, "Hygiene"), (212, "Restorative"), (213, "Emergency"), (214, "New patient"))
PAYMENT_DEFS = tuple((61 + i, name) for i, name in enumerate(PAYMENT_TYPES))
ADJUST_DEFS = ((91, "-Courtesy discount"), (92, "-Insurance write-off"), (93, "+Returned check fee"))
SPECIALTY_DEFS = ((251, "General dentist"), (252, "Hygienist"))
ALERT_DEFS = ((21, "Premedicate"), (22, "Allergy - see HH"))
CARRIERS = (
    ("Delta Dental", "94276"), ("MetLife", "65978"), ("Cigna Dental", "62308"), ("Aetna Dental", "60054"),
    ("Guardian", "64246"), ("United Concordia", "89070"), ("Humana Dental", "73288"), ("Principal", "61271"),
)
LONG_NOTE_LIMIT = 8 * 1024


class DateText(dict[int, str]):
    """Ordinal day -> Dentrix date text ('' for 0), filled on first use."""

    def __missing__(self, day: int) -> str:
        text = self[day] = date.fromordinal(day).isoformat() if day else ""
        return text


def _pad(text: str, width: int) -> str:
    return text[:width].ljust(width)


class DentrixRenderer:
    """Turns model families into Dentrix rows; call `lookups` once, then `family` per family."""

    def __init__(self, model: PracticeModel, emit: Emit, truth: Truth, seed: int) -> None:
        self.model, self.emit, self.truth = model, emit, truth
        self.rng = random.Random(seed * 7919 + 1)
        self.sites = model.sites
        self.multi = model.sites > 1
        self.d = DateText()
        self._random = self.rng.random
        self._times = [f" {h:02d}:{m:02d}:{s:02d}" for h, m, s in ((self.rng.randint(7, 18), self.rng.randrange(60), self.rng.randrange(60)) for _ in range(997))]
        self._t = 0
        self.next_proc = 1
        self.next_hist = 1
        self.next_note = 1
        self.next_doc = 1
        self.next_insured = 1
        self.next_addr = 1
        self.next_case = 1
        self.code_ids = {code: i + 1 for i, code in enumerate(all_procedure_indices())}
        self.status: dict[str, int] = dict.fromkeys(STATUS_CODES, 0)
        self._surfaces: dict[str, tuple[object, ...]] = {}
        self.pad5 = {code: _pad(code, 5) for site in model.providers for code, _kind, _role in site}
        self.clinic = [((s + 1,) if self.multi else ()) for s in range(model.sites)]

    # -- helpers ---------------------------------------------------------------------------
    def dt(self, day: int) -> str:
        """A timestamp on `day` at a varying time of day."""
        self._t = t = (self._t + 1) % 997
        return self.d[day] + self._times[t]

    def mod(self, day: int) -> str:
        """automodifiedtimestamp: some day between `day` and today."""
        self._t = t = (self._t + 1) % 997
        day += int(self._random() * 60)
        return self.d[day if day < TODAY else TODAY] + self._times[t]

    def site(self, row: tuple[object, ...], site: int, at: int) -> tuple[object, ...]:
        """Insert clinicid (1-based) before the trailing automodifiedtimestamp when multi-site."""
        if not self.multi:
            return row
        return row[:at] + (site + 1,) + row[at:]

    # -- lookups ---------------------------------------------------------------------------
    def lookups(self) -> None:
        """Clinics, providers, operatories, code lists, carriers, employers, referrals."""
        m, emit, rng = self.model, self.emit, self.rng
        start = TODAY - 9 * 365
        if self.multi:
            for s in range(self.sites):
                city, state, zipcode = m.pools.places[s]
                emit("clinic", (s + 1, _pad(f"{city} Family Dental", 41), _pad(f"SITE{s + 1}", 11), _pad(m.pools.streets[s], 32), _pad(city, 27), state, zipcode, m.phone(rng), self.mod(start)))
        defs = (
            [(d, 2, t) for d, t in ALERT_DEFS] + [(d, 6, t) for d, t in PAYMENT_DEFS] + [(d, 9, t) for d, t in ADJUST_DEFS]
            + [(d, 20, t) for d, t in APPT_STATUS_DEFS] + [(d, 21, t) for d, t in APPT_TYPE_DEFS] + [(d, 25, t) for d, t in SPECIALTY_DEFS]
        )
        for defid, deftype, text in sorted(defs):
            emit("fulldef", (defid, deftype, _pad(text, 31), self.mod(start)))
        providers = [p for site in m.providers for p in site]
        no_email = {providers[i][0] for i in range(0, len(providers), 4)}
        for pid, kind, _role in providers:
            first = rng.choice(m.pools.first_female + m.pools.first_male)
            last = rng.choice(m.pools.last)
            email = "" if pid in no_email else f"{first[0]}.{last}@smile-dental.example".lower().replace(" ", "")
            if pid in no_email:
                self.truth("provider_no_email", 0, "rsc", pid, "")
            emit("rsc", (_pad(pid, 5), 1, _pad(last, 22), _pad(first, 17), "DDS" if kind == 1 else "RDH", self.digits(10), 251 if kind == 1 else 252, _pad(email, 61), 1, 0, self.mod(start)))
        for staff in range(2 * self.sites):
            emit("rsc", (_pad(f"ST{staff + 1}", 5), 2, _pad(rng.choice(m.pools.last), 22), _pad(rng.choice(m.pools.first_female), 17), "", "", 0, "", 0, 0, self.mod(start)))
        for s, ops in enumerate(m.operatories):
            for op in ops:
                emit("operatory", self.site((_pad(op, 5), _pad(f"Chair {op[2:]}", 11), self.mod(start)), s, 2))
        for code in all_procedure_indices():
            ada, abbrev, words, _fee = procedure_row(code)
            category = (int(ada[1]) + 1) if code >= 0 else 0
            autorecall = 1 if code >= 0 and PROCEDURES[code][5] == "recall" else 0
            emit("proccode", (self.code_ids[code], _pad(ada, 11), _pad(abbrev, 11), _pad(words, 101), category, 1 if code >= 0 and PROCEDURES[code][5] == "restorative" else 0, autorecall, self.mod(start)))
        for i in range(m.employers):
            city, state, zipcode = rng.choice(m.pools.places)
            emit("employer", (i + 1, 1, _pad(rng.choice(m.pools.companies), 33), _pad(rng.choice(m.pools.streets), 32), _pad(city, 27), state, zipcode, m.phone(rng), self.mod(start)))
        for i in range(m.plans):
            carrier, payer = CARRIERS[i % len(CARRIERS)]
            city, state, zipcode = rng.choice(m.pools.places)
            emp = rng.randrange(m.employers) + 1
            emit("inscarrier", (
                i + 1, _pad(carrier, 33), _pad(rng.choice(m.pools.companies), 33), _pad(self.digits(6), 26), payer,
                _pad(f"PO Box {rng.randrange(100, 99999)}", 32), _pad(city, 27), state, zipcode, m.phone(rng), emp,
                rng.choice((1000.0, 1500.0, 2000.0)), 0.0, rng.choice((1, 1, 7)), 0, 1, self.mod(start),
            ))
        for i in range(m.referrals):
            person = rng.random() < 0.7
            emit("referral", (
                i + 1, 1 if person else 2, _pad(rng.choice(m.pools.last) if person else rng.choice(("Google", "Yelp", "Mailer", "Walk-in", "Insurance list")), 22),
                _pad(rng.choice(m.pools.first_male) if person else "", 17), 0, "", "", 0 if person else 1, self.mod(start),
            ))
        for i, (name, months) in enumerate((("PROPHY", 6), ("PERIO", 3), ("BWX", 12))):
            emit("recalltype", (i + 1, 0, _pad(name, 14), _pad(f"{name.title()} recall", 31), 3, months, "", self.mod(start)))
        for i, (text, kind) in enumerate(HEALTH_ITEMS):
            emit("hhitem", (i + 1, _pad(text, 61), kind, 1, self.mod(start)))

    def finish(self) -> None:
        """Nothing is pending once the last family is rendered."""

    def status_counts(self) -> dict[str, int]:
        """Patient rows by status, named like PracticeStats fields."""
        s = self.status
        return {"active_patients": s["active"], "inactive_patients": s["inactive"], "archived_patients": s["archived"], "non_patients": s["non_patient"]}

    def ssn(self) -> str:
        """A made-up social security number (area 9xx is never issued)."""
        n = int(self.rng.random() * 100_000_000)
        return f"9{n // 1_000_000:02d}-{n // 10_000 % 100:02d}-{n % 10_000:04d}"

    def digits(self, n: int) -> str:
        """n random digits."""
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    # -- one family ------------------------------------------------------------------------
    def family(self, fam: Family) -> None:
        """Every row of one family."""
        emit, truth = self.emit, self.truth
        addrid = self.next_addr
        self.next_addr += 1
        city, state, zipcode = fam.place
        first_day = min(p.created for p in fam.people)
        emit("address", (addrid, _pad(fam.street, 32), "", _pad(city, 27), _pad(state, 22), _pad(zipcode, 16), "", _pad(fam.home_phone, 21), "", len(fam.people), self.mod(first_day)))
        insured_ids = []
        for plan, subscriber, idnum in fam.coverage:
            insured_ids.append(self.next_insured)
            emit("insured", (self.next_insured, plan + 1, subscriber, _pad(idnum, 21), "", 1, self.mod(first_day)))
            self.next_insured += 1
        head = fam.people[0]
        guarid = head.pid  # the family account; a chained head points elsewhere only in patient.guarid
        balance = 0
        last_pay = (0, 0)
        for p in fam.people:
            if not p.deleted:
                self.patient(p, addrid, insured_ids, fam)
            owed, pay = self.history(p, guarid)
            balance += owed
            if pay[0] > last_pay[0]:
                last_pay = pay
        if fam.duplicate:
            truth("duplicate", head.dup_of, "patient", head.dup_of, "original")
            truth("duplicate", head.dup_of, "patient", head.pid, head.dup_detail)
        if len(fam.people) > 1 and head.shares_contact:
            for p in fam.people:
                if not p.deleted:
                    truth("family_shared_contact", fam.fid, "patient", p.pid, "email,phone")
        if head.chain:
            truth("guarantor_chain", head.guar, "patient", head.pid, "guarantor is guaranteed by another account")
        if last_pay[0] or balance:
            buckets = [0.0, 0.0, 0.0, 0.0]
            buckets[self.rng.randrange(4)] = balance / 100
            emit("aging", (guarid, *buckets, self.d[last_pay[0]], last_pay[1] / 100, 1, self.mod(max(last_pay[0], first_day))))

    def patient(self, p: Person, addrid: int, insured: list[int], fam: Family) -> None:
        """The patient row and its notes, alerts, recalls and documents."""
        emit, truth, rng = self.emit, self.truth, self.rng
        ins1 = insured[0] if p.ins1 and insured else 0
        ins2 = insured[1] if p.ins2 and len(insured) > 1 else 0
        past = [v.day for v in p.visits if v.day <= TODAY and v.state == "completed"]
        missed = sum(1 for v in p.visits if v.state == "no_show")
        head = p.guar == p.pid
        row = (
            p.pid, str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(), p.fid, p.guar, 1 if head else 0, 1 if head else 0,
            1 if p.ins1 and insured and fam.coverage[0][1] == p.pid else 0,
            _pad(p.last, 22), _pad(p.first, 17), _pad(p.mi, 3), _pad(p.pref, 17), "", "",
            _pad(f"{p.last[:4].upper()}{p.pid:06d}", 21), self.ssn() if rng.random() < 0.6 else "", "",
            self.d[p.dob], p.gender, STATUS_CODES[p.status], p.fampos, _pad(p.prov1, 5), _pad(p.prov2, 5), addrid,
            _pad(p.email, 61), _pad(p.mobile, 21), p.work, "", "", p.emp,
            self.d[min(past)] if past else "", self.d[max(past)] if past else "", "", missed, self.d[p.created], p.ref,
            ins1, ins2, p.rel1 if ins1 else 0, p.rel1 if ins2 else 0, 0, 1 if p.alerts and p.alerts[0] == 8 else 0, p.privacy, 0,
        )
        emit("patient", self.site(row, p.site, len(row)) + (self.mod(p.created),))
        self.status[p.status] += 1
        if p.email_problem == "missing":
            truth("missing_email", 0, "patient", p.pid, "")
        elif p.email_problem == "invalid":
            truth("invalid_email", 0, "patient", p.pid, "")
        if p.phone_problem:
            truth("malformed_phone", 0, "patient", p.pid, "pager")
        if p.cp1252:
            truth("cp1252_name", 0, "patient", p.pid, "")
        if p.note is not None:
            text = p.note
            if len(text) > LONG_NOTE_LIMIT:
                truth("long_note", 0, "fullnotes", f"3:{p.pid}", f"{len(text)} chars truncated to {LONG_NOTE_LIMIT}")
                text = text[:LONG_NOTE_LIMIT]
            emit("fullnotes", (3, p.pid, self.d[p.created], text, self.mod(p.created)))
        for item in sorted(set(p.alerts)):
            emit("hhlinkpat_item", (p.pid, item + 1, 1, self.d[p.created], self.d[p.created], "", "", 1, 1 if HEALTH_ITEMS[item][1] == 2 else 0, self.mod(p.created)))
        for recallid, due in p.recalls:
            emit("recallpending", (recallid, p.pid, p.guar, 0, self.d[due - 182], self.d[due], self.d[due - 182], _pad(p.prov2, 5), 0, self.mod(due - 182)))
        for _ in range(p.docs):
            day = p.created + rng.randrange(max(1, TODAY - p.created))
            emit("document", (self.next_doc, rng.choice((1, 2, 3)), _pad(rng.choice(("Insurance card", "Consent form", "Medical history", "Referral letter")), 61), rng.randint(1, 4), self.d[day], rng.choice(("PDF", "JPG", "TIF")), self.mod(day)))
            emit("docattach", (self.next_doc, 1, p.pid, self.mod(day)))
            self.next_doc += 1

    def history(self, p: Person, guarid: int) -> tuple[int, tuple[int, int]]:
        """Appointments, procedures, payments and notes of one person; (balance, last payment)."""
        emit, truth, rng = self.emit, self.truth, self.rng
        owed = 0
        last_pay = (0, 0)
        zero_codes = (0, 0) * 20
        for v in p.visits:
            patid = 0 if v.new_patient else p.pid
            if p.deleted and not v.new_patient:
                truth("orphan_appointment", 0, "appt", v.aid, "patient row missing")
            if v.new_patient:
                truth("new_patient_appointment", p.pid if not p.deleted else 0, "appt", v.aid, "booked by name only")
            codes: tuple[object, ...] = zero_codes
            procids = []
            for code, fee, tooth, surf, ins in v.procs:
                procid = self.next_proc
                self.next_proc += 1
                procids.append(procid)
                emit("fullproclog", self.proc_row(procid, p, guarid, v.day, code, fee, tooth, surf, ins, 105, v.prov))
                owed += fee - ins
                if code < 0:
                    truth("invalid_cdt" if code > -100 else "non_ada_code", 0, "fullproclog", procid, procedure_row(code)[0])
            if procids:
                codes = tuple(x for pid in procids[:20] for x in (pid, 1)) + (0, 0) * (20 - min(20, len(procids)))
            for amount, kind in v.pays:
                procid = self.next_proc
                self.next_proc += 1
                emit("fullproclog", self.money_row(procid, guarid, guarid, p.site, v.day, 1, PAYMENT_DEFS[kind][0], -amount, v.prov, f"{rng.randrange(1000, 9999)}" if kind == 1 else ""))
                owed -= amount
                last_pay = max(last_pay, (v.day, amount))
                if rng.random() < 0.03:
                    emit("fullnotes", (1, procid, self.d[v.day], "Paid at front desk.", self.mod(v.day)))
            if v.adjust:
                procid = self.next_proc
                self.next_proc += 1
                emit("fullproclog", self.money_row(procid, p.pid, guarid, p.site, v.day, 2, 91, v.adjust, v.prov, ""))
                owed += v.adjust
            if v.state == "deleted":
                self.hist(v, p.pid, deleted=True)
                continue
            broken = v.state in ("broken", "no_show")
            booked_dt = self.dt(v.booked)
            row = (
                v.aid, patid, _pad(v.new_patient[0], 42) if v.new_patient else "", _pad(v.new_patient[1], 21) if v.new_patient else "", 0,
                self.d[v.day], v.hour, v.minute, v.length, _pad(self.model.operatories[p.site][v.op], 5), self.pad5[v.prov], "", "",
                APPT_STATUS[v.state], 211 if v.prov.startswith("HYG") else 212, _pad(v.reason, 62), *codes,
                sum(fee for _, fee, *_ in v.procs) / 100, self.d[v.day] if broken else "", (1 if v.state == "broken" else 2) if broken else 0,
                booked_dt, 1, booked_dt,
            )
            emit("appt", self.site(row, p.site, len(row)) + (self.mod(min(v.day, TODAY)),))
            if broken or rng.random() < 0.1:
                self.hist(v, patid, deleted=False)
            if v.new_patient and rng.random() < 0.5:
                emit("fullnotes", (116, v.aid, self.d[v.booked], "New patient, called to book.", self.mod(v.booked)))
            if v.note is not None:
                self.clinical_note(p.pid, v)
        if p.planned:
            case = self.next_case
            self.next_case += 1
            day = TODAY - rng.randrange(1, 120)
            emit("txcase", (case, p.pid, 1, 1, _pad("Treatment plan", 31), self.d[day], 1, self.mod(day)))
            for code, fee, tooth, surf, ins in p.planned:
                procid = self.next_proc
                self.next_proc += 1
                emit("fullproclog", self.proc_row(procid, p, guarid, day, code, fee, tooth, surf, ins, 101, p.prov1, case=case))
        return owed, last_pay

    def hist(self, v: Visit, patid: int, *, deleted: bool) -> None:
        """One appthist audit copy."""
        day = min(TODAY, v.day)
        self.emit("appthist", (self.next_hist, v.aid, patid, self.d[v.day], self.d[day], self.rng.randrange(86400), "Broken" if v.state in ("broken", "no_show") else "Scheduled", "", 1 if deleted else 0, 0, "", self.mod(day)))
        self.next_hist += 1

    def clinical_note(self, patid: int, v: Visit) -> None:
        """A clinical note for a completed visit; a few are longer than 32,000 characters."""
        text = v.note or ""
        if self.next_note == 1 or self.rng.random() < RATES["long_clinical_note"]:
            text = " ".join([text] * (32_100 // max(1, len(text)) + 1))
            self.truth("long_clinical_note", 0, "clinicalnote", self.next_note, f"{len(text)} chars")
        stamp = self.dt(v.day)
        self.emit("clinicalnote", (self.next_note, patid, self.pad5[v.prov], stamp, stamp, 0, self.d[v.day + 1], text, self.mod(v.day)))
        self.next_note += 1

    def proc_row(self, procid: int, p: Person, guarid: int, day: int, code: int, fee: int, tooth: int, surf: str, ins: int, chartstatus: int, prov: str, case: int = 0) -> tuple[object, ...]:
        """A procedure row of fullproclog (proclogclass 0)."""
        text = self.d[day]
        surfaces = self._surfaces.get(surf)
        if surfaces is None:
            surfaces = self._surfaces[surf] = (*(1 if s in surf else 0 for s in "MODLF"), 0, _pad(surf, 11))
        return (
            (procid, p.pid, guarid, text, text, text if chartstatus == 105 else "", self.code_ids[code], chartstatus, 0, 0,
             fee / 100, ins / 100, 0.0, self.pad5[prov], tooth, tooth)
            + surfaces + (0, case, "", 1 if day < TODAY - 31 else 0, 0) + self.clinic[p.site] + (self.mod(day),)
        )

    def money_row(self, procid: int, patid: int, guarid: int, site: int, day: int, klass: int, kind: int, amount: int, prov: str, check: str) -> tuple[object, ...]:
        """A payment (class 1) or adjustment (class 2) row of fullproclog: chartstatus 90."""
        row = (
            procid, patid, guarid, self.d[day], self.d[day], "", 0, 90, klass, kind, amount / 100, 0.0, 0.0, _pad(prov, 5), 0, 0,
            0, 0, 0, 0, 0, 0, "", 0, 0, _pad(check, 16), 1 if day < TODAY - 31 else 0, 0,
        )
        return self.site(row, site, len(row)) + (self.mod(day),)
