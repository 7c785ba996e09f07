"""Renders the demo practice as Dentally API resources (reference/sources.md §4.2).

Contract with the Dentally emulator: one table per resource, named like the resource, columns
named like the API fields, `id` primary key (INTEGER, or TEXT GUID for sites, invoice_items,
practice), nested objects/arrays as JSON text, money as decimal strings ("-76.0"), timestamps
`YYYY-MM-DDTHH:MM:SS.000Z`, dates `YYYY-MM-DD`, booleans 0/1, NULL where the API sends null.
UK flavour: NHS numbers, postcodes, +44 phones, practice-defined treatments (not CDT).

Problems that do not apply to Dentally are not injected: CDT codes (invalid_cdt, non_ada_code)
and 8 KB note truncation (long_note). Name-only bookings become diary blocks (patient_id NULL)
whose notes hold the booked name.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date

from connectors.sources._demo_model import (
    HEALTH_ITEMS, PAYMENT_TYPES, RATES, TODAY, Emit, Family, Person, PracticeModel, Truth, Visit, all_procedure_indices, procedure_row,
)

_TIMESTAMPS = ("created_at", "updated_at")
RESOURCES: dict[str, tuple[str, ...]] = {
    "practice": ("id", "name", "opening_hours", "custom_patient_field_label_1", "custom_patient_field_label_2", *_TIMESTAMPS),
    "sites": ("id", "name", "nickname", "opening_hours", "address_line_1", "address_line_2", "town", "county", "postcode", "phone_number", *_TIMESTAMPS),
    "users": ("id", "title", "first_name", "last_name", "email", "mobile_phone", "role", "site_id", "allowed_sites", "last_login", *_TIMESTAMPS),
    "practitioners": ("id", "active", "site_id", "user", "specialisms", "uda_target", "uoa_target", *_TIMESTAMPS),
    "patients": (
        "id", "uuid", "account_id", "family_id", "active", "title", "first_name", "middle_name", "last_name", "preferred_name",
        "date_of_birth", "gender", "ethnicity", "nhs_number", "ni_number", "pps_number", "email_address", "home_phone",
        "mobile_phone", "work_phone", "home_phone_country", "mobile_phone_country", "work_phone_country", "preferred_phone_number",
        "address_line_1", "address_line_2", "address_line_3", "town", "county", "postcode", "site_id", "dentist_id", "hygienist_id",
        "dentist_recall_date", "dentist_recall_interval", "hygienist_recall_date", "hygienist_recall_interval", "recall_method",
        "payment_plan_id", "acquisition_source_id", "doctor_id", "use_email", "use_sms", "marketing", "medical_alert",
        "medical_alert_text", "special_needs", "emergency_contact_name", "emergency_contact_phone", "archived_reason", "legacy_id",
        "custom_fields", "metadata", *_TIMESTAMPS,
    ),
    "appointments": (
        "id", "uuid", "patient_id", "practitioner_id", "practitioner_site_id", "room_id", "start_time", "finish_time", "duration",
        "reason", "state", "pending_at", "confirmed_at", "arrived_at", "in_surgery_at", "completed_at", "cancelled_at",
        "did_not_attend_at", "appointment_cancellation_reason_id", "treatment_description", "notes", "metadata", *_TIMESTAMPS,
    ),
    "appointment_cancellation_reasons": ("id", "reason", "reason_type", "archived", *_TIMESTAMPS),
    "treatments": ("id", "nomenclature", "patient_nomenclature", "treatment_category_id", "nhs_treatment_cat", "uda_band", "code", *_TIMESTAMPS),
    "treatment_plans": (
        "id", "patient_id", "practitioner_id", "payment_plan_id", "nickname", "start_date", "end_date", "completed", "completed_at",
        "nhs_uda_value", "private_treatment_value", "import_id", *_TIMESTAMPS,
    ),
    "treatment_plan_items": (
        "id", "treatment_plan_id", "treatment_id", "patient_id", "practitioner_id", "invoice_id", "treatment_appointment_id",
        "nomenclature", "price", "charged", "completed", "completed_at", "region", "teeth", "surfaces", "uda_band", "notes",
        "custom_fields", *_TIMESTAMPS,
    ),
    "accounts": ("id", "patient_id", "current_balance", "opening_balance", "planned_nhs_value", "planned_private_value", *_TIMESTAMPS),
    "invoices": (
        "id", "patient_id", "account_id", "site_id", "dated_on", "due_on", "amount", "amount_outstanding", "paid", "nhs_amount",
        "invoice_items", *_TIMESTAMPS,
    ),
    "invoice_items": (
        "id", "invoice_id", "name", "item_price", "total_price", "quantity", "nhs_charge", "practitioner_id", "treatment_plan_item_id",
        *_TIMESTAMPS,
    ),
    "payments": ("id", "patient_id", "site_id", "dated_on", "amount", "method", "deleted", "explanations", *_TIMESTAMPS),
    "payment_plans": (
        "id", "name", "active", "dentist_recall_interval", "hygienist_recall_interval", "dentist_appointment_duration",
        "hygienist_appointment_duration", "recall_method", "site_id", "monthly_memberhsip_fee", *_TIMESTAMPS,
    ),
    "recalls": ("id", "patient_id", "recall_type", "due_date", "status", "appointment_id", *_TIMESTAMPS),
}
_TEXT_IDS = {"practice", "sites", "invoice_items"}
_INT_COLUMNS = {
    "account_id", "family_id", "dentist_id", "hygienist_id", "payment_plan_id", "patient_id", "practitioner_id", "room_id",
    "duration", "appointment_cancellation_reason_id", "treatment_category_id", "treatment_id", "treatment_plan_id", "invoice_id",
    "treatment_appointment_id", "quantity", "appointment_id", "uda_target", "uoa_target", "dentist_recall_interval",
    "hygienist_recall_interval", "dentist_appointment_duration", "hygienist_appointment_duration", "acquisition_source_id", "doctor_id",
}
_BOOL_COLUMNS = {"active", "gender", "completed", "charged", "paid", "nhs_charge", "deleted", "archived", "use_email", "use_sms", "marketing", "medical_alert"}

STATES = {"completed": "Completed", "broken": "Cancelled", "no_show": "Did not attend", "scheduled": "Pending", "confirmed": "Confirmed"}
CANCELLATION_REASONS = ((1, "Patient cancelled", "patient"), (2, "Practice cancelled", "practice"), (3, "Illness", "patient"))
PAYMENT_PLANS = ((1, "NHS", 6, 6, "0.0"), (2, "Private", 6, 6, "0.0"), (3, "Denplan Care", 6, 6, "17.5"))
UK_NAMES = {
    "D0120": ("Examination", "EX"), "D0150": ("New patient examination", "NPE"), "D0140": ("Emergency examination", "EMG"),
    "D0274": ("Bitewing radiographs", "BW"), "D0210": ("Full mouth radiographs", "FMX"), "D0220": ("Periapical radiograph", "PA"),
    "D0330": ("OPG", "OPG"), "D1110": ("Scale & polish", "SP"), "D1120": ("Child scale & polish", "CSP"), "D1206": ("Fluoride varnish", "FV"),
    "D1351": ("Fissure sealant", "FS"), "D2140": ("Amalgam filling 1 surface", "AM1"), "D2150": ("Amalgam filling 2 surfaces", "AM2"),
    "D2330": ("Composite filling anterior", "CA"), "D2391": ("Composite filling posterior", "CP1"), "D2392": ("Composite filling 2 surfaces", "CP2"),
    "D2740": ("Porcelain crown", "CRN"), "D2950": ("Core build-up", "CORE"), "D3330": ("Root canal treatment molar", "RCTM"),
    "D4341": ("Root surface debridement", "RSD"), "D4910": ("Periodontal maintenance", "PM"), "D7140": ("Extraction", "XLA"),
    "D7210": ("Surgical extraction", "SXLA"), "D9110": ("Emergency dressing", "DRS"),
}


def create_resource_sql(name: str) -> str:
    """CREATE TABLE for one Dentally resource."""
    cols = []
    for col in RESOURCES[name]:
        if col == "id":
            cols.append("id TEXT PRIMARY KEY" if name in _TEXT_IDS else "id INTEGER PRIMARY KEY")
        elif col in _INT_COLUMNS or col in _BOOL_COLUMNS:
            cols.append(f"{col} INTEGER")
        else:
            cols.append(f"{col} TEXT")
    return f"CREATE TABLE {name} ({', '.join(cols)})"


def money(cents: int) -> str:
    """Dentally money: a decimal string such as "-76.0"."""
    return repr(cents / 100)


def fdi(tooth: int) -> str:
    """Universal tooth number 1-32 as FDI notation."""
    if tooth <= 8:
        return f"1{9 - tooth}"
    if tooth <= 16:
        return f"2{tooth - 8}"
    if tooth <= 24:
        return f"3{25 - tooth}"
    return f"4{tooth - 24}"


class DentallyRenderer:
    """Turns model families into Dentally resource rows."""

    def __init__(self, model: PracticeModel, emit: Emit, truth: Truth, seed: int) -> None:
        self.model, self.emit, self.truth = model, emit, truth
        self.rng = random.Random(seed * 7919 + 2)
        self._dates: dict[int, str] = {}
        self.site_ids = [self.guid() for _ in range(model.sites)]
        self.practitioner: dict[str, int] = {}
        self.practitioner_site: dict[str, str] = {}
        self.treatment_ids = {code: i + 1 for i, code in enumerate(all_procedure_indices())}
        self.next_plan = self.next_item = self.next_invoice = self.next_payment = self.next_recall = 1
        self.status = {"active_patients": 0, "inactive_patients": 0, "archived_patients": 0, "non_patients": 0}
        self.first_clinical_note = True

    def guid(self) -> str:
        """A deterministic GUID."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def d(self, day: int) -> str | None:
        """An ordinal day as YYYY-MM-DD (None for 0)."""
        if not day:
            return None
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = date.fromordinal(day).isoformat()
        return text

    def ts(self, day: int, minutes: int | None = None) -> str | None:
        """An ordinal day (and minutes after midnight) as an ISO-8601 UTC timestamp."""
        if not day:
            return None
        if minutes is None:
            minutes = self.rng.randrange(7 * 60, 19 * 60)
        return f"{self.d(day)}T{minutes // 60:02d}:{minutes % 60:02d}:{self.rng.randrange(60):02d}.000Z"

    def stamps(self, day: int) -> tuple[str | None, str | None]:
        """created_at, updated_at for something created on `day`."""
        return self.ts(day), self.ts(min(TODAY, day + self.rng.randrange(60)))

    def lookups(self) -> None:
        """Practice, sites, users, practitioners, treatments, plans, reasons."""
        m, emit, rng = self.model, self.emit, self.rng
        start = TODAY - 9 * 365
        hours = json.dumps({day: {"open": "08:30", "close": "17:30"} for day in ("monday", "tuesday", "wednesday", "thursday", "friday")})
        emit("practice", (self.guid(), f"{m.pools.places[0][0]} Dental Care", hours, "Previous dentist", "Referral code", *self.stamps(start)))
        for s, site_id in enumerate(self.site_ids):
            city, county, postcode = m.pools.places[s]
            emit("sites", (site_id, f"{city} Dental Care", f"SITE{s + 1}", hours, m.pools.streets[s], None, city, county, postcode, m.phone(rng), *self.stamps(start)))
        user_id = 0
        providers = [(s, p) for s, site in enumerate(m.providers) for p in site]
        for n, (s, (code, kind, role)) in enumerate(providers):
            user_id += 1
            first, last = rng.choice(m.pools.first_female + m.pools.first_male), rng.choice(m.pools.last)
            email = None if n % 4 == 0 else f"{first[0]}.{last}@smile-dental.example".lower().replace(" ", "")
            if email is None:
                self.truth("provider_no_email", 0, "users", user_id, "")
            user = {"id": user_id, "title": "Dr" if kind == 1 else "Ms", "first_name": first, "last_name": last, "email": email, "role": role, "site_id": self.site_ids[s]}
            created, updated = self.stamps(start)
            emit("users", (user_id, user["title"], first, last, email, None, role, self.site_ids[s], json.dumps([self.site_ids[s]]), self.ts(TODAY - rng.randrange(30)), created, updated))
            self.practitioner[code] = user_id
            self.practitioner_site[code] = self.guid()
            emit("practitioners", (user_id, 1, self.site_ids[s], json.dumps(user), json.dumps(["General dentistry" if kind == 1 else "Hygiene"]), 1200 if kind == 1 else None, None, created, updated))
        for staff in range(2 * m.sites):
            user_id += 1
            emit("users", (user_id, "Mrs", rng.choice(m.pools.first_female), rng.choice(m.pools.last), None, None, rng.choice(("Nurse", "Receptionist")), self.site_ids[staff % m.sites], json.dumps(self.site_ids), None, *self.stamps(start)))
        for rid, reason, kind in CANCELLATION_REASONS:
            emit("appointment_cancellation_reasons", (rid, reason, kind, 0, *self.stamps(start)))
        for code in all_procedure_indices():
            ada, _abbrev, wording, _fee = procedure_row(code)
            name, short = UK_NAMES.get(ada, (wording, None))
            band = "Band 1" if ada.startswith(("D0", "D1")) else "Band 2" if code >= 0 and not ada.startswith("D27") else "Band 3" if code >= 0 else None
            emit("treatments", (self.treatment_ids[code], name, name, int(ada[1]) + 1 if code >= 0 else None, band, band, short, *self.stamps(start)))
        for pid, name, dent, hyg, fee in PAYMENT_PLANS:
            emit("payment_plans", (pid, name, 1, dent, hyg, 20, 30, "SMS", self.site_ids[0], fee, *self.stamps(start)))

    def finish(self) -> None:
        """Nothing is pending once the last family is rendered."""

    def status_counts(self) -> dict[str, int]:
        """Patient rows by status, named like PracticeStats fields."""
        return dict(self.status)

    def family(self, fam: Family) -> None:
        """Every resource row of one family."""
        head = fam.people[0]
        account = head.pid
        balance = 0
        for p in fam.people:
            if not p.deleted:
                self.patient(p, fam, account if not head.chain or p is not head else head.guar)
            balance += self.history(p, fam, account)
        emit = self.emit
        emit("accounts", (account, head.pid, money(balance), "0.0", "0.0", "0.0", *self.stamps(min(p.created for p in fam.people))))
        if fam.duplicate:
            self.truth("duplicate", head.dup_of, "patients", head.dup_of, "original")
            self.truth("duplicate", head.dup_of, "patients", head.pid, head.dup_detail)
        if len(fam.people) > 1 and head.shares_contact:
            for p in fam.people:
                if not p.deleted:
                    self.truth("family_shared_contact", fam.fid, "patients", p.pid, "email,phone")
        if head.chain:
            self.truth("guarantor_chain", head.guar, "patients", head.pid, "account_id is another family's account")

    def nhs_number(self) -> str | None:
        """A valid 10-digit NHS number (mod 11 check digit), or None for private-only patients."""
        rng = self.rng
        if rng.random() < 0.3:
            return None
        while True:
            digits = [rng.randrange(10) for _ in range(9)]
            check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
            if check == 11:
                check = 0
            if check != 10:
                return "".join(map(str, digits)) + str(check)

    def patient(self, p: Person, fam: Family, account: int) -> None:
        """The patients row of one person."""
        rng, truth = self.rng, self.truth
        city, county, postcode = fam.place
        active = p.status == "active"
        key = {"active": "active_patients", "inactive": "inactive_patients", "archived": "archived_patients", "non_patient": "non_patients"}[p.status]
        self.status[key] += 1
        archived = {"inactive": "No longer attending", "archived": "Moved away", "non_patient": "Responsible party, not a patient"}.get(p.status)
        dentist_due = next((due for rid, due in p.recalls if rid == 1), 0)
        alerts = sorted(set(p.alerts))
        plan = 1 + rng.randrange(3)
        created, updated = self.stamps(p.created)
        row = (
            p.pid, self.guid(), account, p.fid, 1 if active else 0, rng.choice(("Mr", "Mrs", "Ms", "Miss", None)) if p.age >= 18 else None,
            p.first, p.mi or None, p.last, p.pref or None, self.d(p.dob), 1 if p.gender == 1 else 0, None, self.nhs_number(), None, None,
            p.email or None, fam.home_phone or None, p.mobile or None, p.work or None, "GB", "GB", "GB", "mobile" if p.mobile else "home",
            fam.street, None, None, city, county, postcode, self.site_ids[p.site], self.practitioner[p.prov1], self.practitioner[p.prov2],
            self.d(dentist_due), 6, self.d(dentist_due), 6, "SMS" if p.mobile else "Letter", plan, None, None,
            0 if p.privacy & 2 else 1, 0 if p.privacy & 2 else 1, 0, 1 if alerts else 0, "; ".join(HEALTH_ITEMS[a][0] for a in alerts) or None,
            None, None, None, archived, f"{p.pid:06d}", "[]", "{}", created, updated,
        )
        self.emit("patients", row)
        if p.email_problem == "missing":
            truth("missing_email", 0, "patients", p.pid, "")
        elif p.email_problem == "invalid":
            truth("invalid_email", 0, "patients", p.pid, "")
        if p.phone_problem:
            truth("malformed_phone", 0, "patients", p.pid, "mobile_phone")
        if p.cp1252:
            truth("cp1252_name", 0, "patients", p.pid, "")
        for rid, due in p.recalls:
            self.emit("recalls", (self.next_recall, p.pid, "dentist" if rid == 1 else "hygienist", self.d(due), "pending", None, *self.stamps(due - 182)))
            self.next_recall += 1

    def history(self, p: Person, fam: Family, account: int) -> int:
        """Appointments, courses of treatment, invoices and payments of one person; the balance."""
        balance = 0
        for v in p.visits:
            if v.state != "deleted":
                self.appointment(p, v)
            if v.procs:
                balance += self.course(p, fam, account, v)
        if p.planned:
            day = TODAY - self.rng.randrange(1, 120)
            plan = self.next_plan
            self.next_plan += 1
            total = sum(fee for _, fee, *_ in p.planned)
            self.emit("treatment_plans", (plan, p.pid, self.practitioner[p.prov1], 2, "Proposed treatment", self.d(day), None, 0, None, "0.0", money(total), None, *self.stamps(day)))
            for code, fee, tooth, surf, _ins in p.planned:
                self.item(plan, p, None, code, fee, tooth, surf, day, completed=False, prov=p.prov1)
        return balance

    def appointment(self, p: Person, v: Visit) -> None:
        """One appointments row (diary block with the booked name for name-only bookings)."""
        rng = self.rng
        minutes = v.hour * 60 + v.minute
        start = self.ts(v.day, minutes)
        finish = self.ts(v.day, minutes + v.length)
        state = STATES[v.state]
        stamp = {k: None for k in ("pending_at", "confirmed_at", "arrived_at", "in_surgery_at", "completed_at", "cancelled_at", "did_not_attend_at")}
        stamp["pending_at"] = self.ts(v.booked)
        if v.state in ("confirmed", "completed"):
            stamp["confirmed_at"] = self.ts(max(v.booked, v.day - 2))
        if v.state == "completed":
            stamp["arrived_at"], stamp["in_surgery_at"], stamp["completed_at"] = start, start, finish
        elif v.state == "broken":
            stamp["cancelled_at"] = self.ts(max(v.booked, v.day - 1))
        elif v.state == "no_show":
            stamp["did_not_attend_at"] = finish
        patient_id: int | None = p.pid
        notes = v.note
        if v.new_patient:
            patient_id = None
            notes = f"NP {v.new_patient[0]} {v.new_patient[1]}".strip()
            self.truth("new_patient_appointment", p.pid if not p.deleted else 0, "appointments", v.aid, "diary block with the booked name")
        elif p.deleted:
            self.truth("orphan_appointment", 0, "appointments", v.aid, "patient missing")
        if notes is not None and v.note is not None and (self.first_clinical_note or rng.random() < RATES["long_clinical_note"]):
            notes = " ".join([notes] * (32_100 // max(1, len(notes)) + 1))
            self.truth("long_clinical_note", 0, "appointments", v.aid, f"{len(notes)} chars")
            self.first_clinical_note = False
        room = p.site * 5 + v.op + 1
        self.emit("appointments", (
            v.aid, self.guid(), patient_id, self.practitioner[v.prov], self.practitioner_site[v.prov], room, start, finish, v.length,
            v.reason, state, *stamp.values(), 1 + rng.randrange(3) if v.state == "broken" else None,
            ", ".join(UK_NAMES.get(procedure_row(c)[0], (procedure_row(c)[2],))[0] for c, *_ in v.procs) or None, notes, "{}",
            self.ts(v.booked), self.ts(min(TODAY, v.day + 1)),
        ))

    def course(self, p: Person, fam: Family, account: int, v: Visit) -> int:
        """A completed course of treatment: plan, items, invoice, invoice items, payments; what is still owed."""
        rng, emit = self.rng, self.emit
        plan, invoice = self.next_plan, self.next_invoice
        self.next_plan += 1
        self.next_invoice += 1
        total = sum(fee for _, fee, *_ in v.procs)
        nhs = sum(ins for *_, ins in v.procs)
        emit("treatment_plans", (plan, p.pid, self.practitioner[v.prov], 1 if nhs else 2, None, self.d(v.day), self.d(v.day), 1, self.ts(v.day), "1.0" if nhs else "0.0", money(total - nhs), None, *self.stamps(v.day)))
        items = []
        import_row = rng.random() < 0.05
        for code, fee, tooth, surf, _ins in v.procs:
            item = self.item(plan, p, invoice, code, fee, tooth, surf, v.day, completed=True, prov=v.prov)
            items.append({"id": self.guid(), "invoice_id": invoice, "name": UK_NAMES.get(procedure_row(code)[0], (procedure_row(code)[2],))[0], "item_price": money(fee), "total_price": money(fee), "quantity": 1, "nhs_charge": bool(nhs), "practitioner_id": None if import_row else self.practitioner[v.prov], "treatment_plan_item_id": item})
        if v.adjust:
            items.append({"id": self.guid(), "invoice_id": invoice, "name": "Discount", "item_price": money(v.adjust), "total_price": money(v.adjust), "quantity": 1, "nhs_charge": False, "practitioner_id": None, "treatment_plan_item_id": None})
        amount = total + v.adjust
        paid = sum(a for a, _ in v.pays)
        outstanding = amount - nhs - paid
        created, updated = self.stamps(v.day)
        emit("invoices", (invoice, p.pid, account, self.site_ids[p.site], self.d(v.day), self.d(v.day + 30), money(amount), money(max(0, outstanding)), 1 if outstanding <= 0 else 0, money(nhs), json.dumps(items), created, updated))
        for it in items:
            emit("invoice_items", (it["id"], invoice, it["name"], it["item_price"], it["total_price"], 1, 1 if it["nhs_charge"] else 0, it["practitioner_id"], it["treatment_plan_item_id"], created, updated))
        for pay, kind in v.pays:
            unallocated = rng.random() < 0.21
            explanations = [] if unallocated else [{"invoice_id": invoice, "amount": money(pay)}]
            emit("payments", (self.next_payment, fam.people[0].pid, self.site_ids[p.site], self.d(v.day), money(pay), PAYMENT_TYPES[kind], 1 if rng.random() < 0.02 else 0, json.dumps(explanations), *self.stamps(v.day)))
            self.next_payment += 1
        return amount - nhs - paid

    def item(self, plan: int, p: Person, invoice: int | None, code: int, fee: int, tooth: int, surf: str, day: int, *, completed: bool, prov: str) -> int:
        """One treatment_plan_items row; its id."""
        item = self.next_item
        self.next_item += 1
        ada, _abbrev, wording, _fee = procedure_row(code)
        name = UK_NAMES.get(ada, (wording,))[0]
        band = "Band 1" if ada.startswith(("D0", "D1")) else "Band 2"
        self.emit("treatment_plan_items", (
            item, plan, self.treatment_ids[code], p.pid, self.practitioner[prov], invoice, None, name, money(fee), 1 if completed else 0,
            1 if completed else 0, self.ts(day) if completed else None, "tooth" if tooth else "mouth", json.dumps([fdi(tooth)] if tooth else []),
            surf or None, band, None, "[]", *self.stamps(day),
        ))
        return item



