"""A small practice file in the Dentally layout, for tests and benchmarks that must not wait on the demo generator.

Follows the same contract as `connectors.sources.demo.generate_practice(..., layout="dentally")`:
one table per resource named as the resource, API field names as columns, GUID text ids where
Dentally uses GUIDs, nested values as JSON text, money as decimal strings, booleans 0/1,
ISO-8601 UTC timestamps with milliseconds and dates as YYYY-MM-DD. Values are synthetic.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from connectors.sources._dentally_catalog import BY_NAME, RESOURCES

BASE_TIME = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _sql_type(resource: str, name: str) -> str:
    spec = BY_NAME[resource]
    declared = spec.field(name)
    if name == "id":
        return "TEXT PRIMARY KEY" if spec.key_type == "string" else "INTEGER PRIMARY KEY"
    if declared and declared.type in {"int", "bool", "reference"} and not name.endswith("site_id"):
        return "INTEGER"
    return "TEXT"


def write_practice(path: Path, *, patients: int = 230, seed: int = 7) -> Path:
    """Write a practice with `patients` patients and their appointments, money and plans to `path`."""
    rng = random.Random(seed)
    guid = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))  # noqa: E731
    tables: dict[str, list[dict[str, Any]]] = {r.name: [] for r in RESOURCES}
    sites = [guid(), guid()]
    stamp = _ts(BASE_TIME)
    hours = json.dumps({"Monday": {"open": "09:00", "close": "17:30"}})
    tables["practice"].append({"id": guid(), "name": "Fixture Dental", "opening_hours": hours,
                               "custom_patient_field_label_1": "Referrer", "custom_patient_field_label_2": None,
                               "created_at": stamp, "updated_at": stamp})
    for i, site in enumerate(sites):
        tables["sites"].append({"id": site, "name": f"Site {i + 1}", "nickname": f"S{i + 1}", "opening_hours": hours,
                                "address_line_1": f"{i + 1} High Street", "town": "Leeds", "postcode": "LS1 4AP",
                                "phone_number": f"0113 496 00{i:02d}", "created_at": stamp, "updated_at": stamp})
    for i in range(1, 5):
        user = {"id": i, "title": "Dr", "first_name": f"Staff{i}", "last_name": "Example", "email": f"staff{i}@example.com",
                "mobile_phone": f"07700 900{i:03d}", "role": "Dentist" if i % 2 else "Hygienist",
                "site_id": sites[i % 2], "allowed_sites": json.dumps(sites), "last_login": stamp,
                "created_at": stamp, "updated_at": stamp}
        tables["users"].append(user)
        tables["practitioners"].append({"id": i, "active": 1, "site_id": sites[i % 2], "user": json.dumps(user),
                                        "specialisms": "[]", "uda_target": "1200.0", "uoa_target": None,
                                        "created_at": stamp, "updated_at": stamp})
    for i, reason in enumerate(("Patient cancelled", "Practice cancelled", "Illness"), start=1):
        tables["appointment_cancellation_reasons"].append({"id": i, "reason": reason, "reason_type": "patient",
                                                           "archived": 0, "created_at": stamp, "updated_at": stamp})
    for i, (name, price) in enumerate((("Exam", "25.0"), ("Scale & polish", "55.0"), ("Filling", "95.5")), start=1):
        tables["treatments"].append({"id": i, "nomenclature": name, "patient_nomenclature": name, "treatment_category_id": 1,
                                     "nhs_treatment_cat": None, "uda_band": "Band 1", "code": f"T{i:03d}",
                                     "created_at": stamp, "updated_at": stamp})
        tables["payment_plans"].append({"id": i, "name": ("NHS", "Private", "Denplan")[i - 1], "active": 1,
                                        "dentist_recall_interval": 6, "hygienist_recall_interval": 6,
                                        "recall_method": "email", "site_id": sites[0],
                                        "monthly_memberhsip_fee": price, "created_at": stamp, "updated_at": stamp})
    item_id = 0
    for pid in range(1, patients + 1):
        created = BASE_TIME + timedelta(hours=pid)
        updated = created + timedelta(days=rng.randint(0, 400))
        head = pid - (pid - 1) % 3
        tables["patients"].append({
            "id": pid, "uuid": guid(), "account_id": head, "family_id": head, "active": int(rng.random() > 0.1),
            "title": rng.choice(("Mr", "Mrs", "Ms", "Dr")), "first_name": f"First{pid}", "middle_name": None,
            "last_name": f"Last{head}", "preferred_name": "", "date_of_birth": f"{rng.randint(1940, 2015)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "gender": rng.randint(0, 1), "email_address": f"p{head}@example.com" if rng.random() > 0.2 else "",
            "mobile_phone": f"07700 9{pid:05d}", "home_phone": None, "address_line_1": f"{pid} Park Road",
            "town": "Leeds", "postcode": "LS2 7EW", "site_id": sites[pid % 2], "dentist_id": 1 + pid % 2,
            "hygienist_id": 2, "payment_plan_id": 1 + pid % 3, "use_email": 1, "use_sms": int(pid % 4 != 0),
            "marketing": 0, "medical_alert": int(pid % 7 == 0), "custom_fields": "[]", "metadata": "{}",
            "created_at": _ts(created), "updated_at": _ts(updated)})
        tables["accounts"].append({"id": pid, "patient_id": pid, "current_balance": f"{rng.randint(-200, 0)}.0",
                                   "opening_balance": "0.0", "created_at": _ts(created), "updated_at": _ts(updated)})
        for n in range(2):
            aid = (pid - 1) * 2 + n + 1
            start = BASE_TIME + timedelta(days=rng.randint(0, 540), hours=rng.randint(0, 7))
            tables["appointments"].append({
                "id": aid, "uuid": guid(), "patient_id": pid, "practitioner_id": 1 + aid % 4,
                "practitioner_site_id": guid(), "room_id": 1, "start_time": _ts(start),
                "finish_time": _ts(start + timedelta(minutes=30)), "duration": 30, "reason": "Exam",
                "state": rng.choice(("Completed", "Cancelled", "Confirmed")),
                "appointment_cancellation_reason_id": None, "notes": "", "metadata": "{}",
                "created_at": _ts(start - timedelta(days=14)), "updated_at": _ts(start)})
        tables["treatment_plans"].append({"id": pid, "patient_id": pid, "practitioner_id": 1, "payment_plan_id": 1,
                                          "nickname": "Course 1", "start_date": created.date().isoformat(),
                                          "completed": 1, "private_treatment_value": "95.5",
                                          "created_at": _ts(created), "updated_at": _ts(updated)})
        tables["invoices"].append({"id": pid, "patient_id": pid, "account_id": head, "site_id": sites[pid % 2],
                                   "dated_on": created.date().isoformat(), "due_on": created.date().isoformat(),
                                   "amount": "76.0", "amount_outstanding": "0.0", "paid": 1, "nhs_amount": "0.0",
                                   "created_at": _ts(created), "updated_at": _ts(updated)})
        for name, price in (("Filling", "95.5"), ("Discount", "-19.5")):
            item_id += 1
            tables["treatment_plan_items"].append({"id": item_id, "treatment_plan_id": pid, "treatment_id": 3,
                                                   "patient_id": pid, "practitioner_id": 1, "invoice_id": pid,
                                                   "nomenclature": name, "price": price, "charged": 1, "completed": 1,
                                                   "teeth": json.dumps(["UL6"]), "surfaces": "MO", "notes": "",
                                                   "custom_fields": "[]", "created_at": _ts(created), "updated_at": _ts(updated)})
            tables["invoice_items"].append({"id": guid(), "invoice_id": pid, "name": name, "item_price": price,
                                            "total_price": price, "quantity": 1, "nhs_charge": 0, "practitioner_id": 1,
                                            "treatment_plan_item_id": item_id, "created_at": _ts(created), "updated_at": _ts(updated)})
        tables["payments"].append({"id": pid, "patient_id": pid, "site_id": sites[pid % 2],
                                   "dated_on": created.date().isoformat(), "amount": "£76.00" if pid % 10 == 0 else "76.0",
                                   "method": "card", "deleted": 0,
                                   "explanations": json.dumps([{"invoice_id": pid, "amount": "76.0"}]),
                                   "created_at": _ts(created), "updated_at": _ts(updated)})
        tables["recalls"].append({"id": pid, "patient_id": pid, "created_at": _ts(created), "updated_at": _ts(updated)})
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        for resource, rows in tables.items():
            names = [f.name for f in BY_NAME[resource].fields if resource != "invoices" or f.name != "invoice_items"]
            conn.execute(f'CREATE TABLE "{resource}" ({", ".join(f"{n} {_sql_type(resource, n)}" for n in names)})')
            conn.executemany(
                f'INSERT INTO "{resource}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})',
                [[row.get(n) for n in names] for row in rows],
            )
    return path
