"""Salesforce emulator records: validation as §2.8 reports it, create/update/upsert/delete, Recycle Bin, SOQL."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.emulators._salesforce_ids import IdMint, to18
from connectors.emulators._salesforce_objects import API_VERSION, TEXT_TYPES, SalesforceError, SfField, SfObject
from connectors.emulators._salesforce_schema import MetadataStore
from connectors.emulators._salesforce_soql import Query, field_names, index_terms, located, matches, word_at

STAMP = "%Y-%m-%dT%H:%M:%S"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEED_TIME = "2024-01-15T09:00:00.000+0000"


class RequestError(SalesforceError):
    """An error that fails the whole request (JSON deserialisation), not one record."""


def stamp(moment: datetime) -> str:
    """Salesforce's datetime text: UTC with milliseconds and +0000."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment.strftime(STAMP)}.{moment.microsecond // 1000:03d}+0000"


def _parse_datetime(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parser_error(kind: str, value: Any) -> RequestError:
    return RequestError("JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} "
                                             "or request may be missing a required field")


class RecordStore:
    """Every record of every object in one table (JSON data) plus an index of unique/external-id values."""

    def __init__(self, db: sqlite3.Connection, meta: MetadataStore, mint: IdMint,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.meta = meta
        self.mint = mint
        self.clock = clock
        self.last_stamp = ""
        db.executescript("""
            CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, object TEXT NOT NULL, data TEXT NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX IF NOT EXISTS records_object ON records (object, deleted);
            CREATE TABLE IF NOT EXISTS keys (object TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
                id TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS keys_value ON keys (object, field, value);
            CREATE INDEX IF NOT EXISTS keys_id ON keys (id);
        """)
        self._fields: dict[str, tuple[int, dict[str, SfField]]] = {}

    # --- helpers -----------------------------------------------------------------------------

    def now(self) -> str:
        """A LastModifiedDate that always moves forward (millisecond resolution)."""
        value = stamp(self.clock())
        if value <= self.last_stamp:
            value = stamp(_parse_datetime(self.last_stamp) + timedelta(milliseconds=1))
        self.last_stamp = value
        return value

    def fields(self, obj: SfObject) -> dict[str, SfField]:
        """Lower-cased name -> visible field."""
        cached = self._fields.get(obj.name)
        if cached is None or cached[0] != self.meta.version:
            cached = self._fields[obj.name] = (self.meta.version, {f.name.lower(): f for f in obj.fields})
        return cached[1]

    def field(self, obj: SfObject, name: str, *, entity_word: str = "sobject of type") -> SfField:
        """The visible field called `name`, or INVALID_FIELD (hidden custom fields look unknown, §2.3)."""
        found = self.fields(obj).get(name.lower())
        if found is None:
            raise SalesforceError("INVALID_FIELD", f"No such column '{name}' on {entity_word} {obj.name}", [])
        return found

    def row(self, record_id: str) -> tuple[str, dict[str, Any], bool] | None:
        """(object, data, deleted) of a record by id (15 or 18 chars)."""
        full = to18(record_id)
        if full is None:
            return None
        found = self.db.execute("SELECT object, data, deleted FROM records WHERE id = ?", (full,)).fetchone()
        return (found[0], json.loads(found[1]), bool(found[2])) if found else None

    def shape(self, obj: SfObject, data: Mapping[str, Any], wanted: list[str] | None = None) -> dict[str, Any]:
        """A record as the REST API returns it: attributes, then the requested (or all visible) fields."""
        out: dict[str, Any] = {"attributes": {"type": obj.name,
                                              "url": f"/services/data/v{API_VERSION}/sobjects/{obj.name}/{data['Id']}"}}
        names = wanted if wanted is not None else [f.name for f in obj.fields if f.type != "base64"]
        for name in names:
            out[name] = data.get(name)
        return out

    # --- validation --------------------------------------------------------------------------

    def _value(self, obj: SfObject, f: SfField, value: Any) -> Any:
        """One value converted and checked as Salesforce stores it (raises per-record or request errors)."""
        if value is None:
            return False if f.type == "boolean" else None
        kind = f.type
        if kind in TEXT_TYPES or kind in ("base64", "textarea"):
            if isinstance(value, bool) or isinstance(value, (dict, list)):
                raise _parser_error("String", value)
            text = str(value)
            if text == "":
                return None  # Salesforce keeps no empty strings: '' reads back as null
            if f.length and len(text) > f.length and kind != "base64":
                raise SalesforceError("STRING_TOO_LONG", f"{f.label}: data value too large: {text} "
                                                         f"(max length={f.length})", [f.name])
            if kind == "email" and not _EMAIL.match(text):
                raise SalesforceError("INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {text}", [f.name])
            if f.restricted and kind in ("picklist", "multipicklist"):
                for part in text.split(";") if kind == "multipicklist" else [text]:
                    if part not in f.picklist:
                        raise SalesforceError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                              f"{f.label}: bad value for restricted picklist field: {part}", [f.name])
            return text
        if kind == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise _parser_error("boolean", value)
            return value
        if kind in ("int", "double", "currency", "percent"):
            if isinstance(value, bool):
                raise _parser_error(kind, value)
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                raise _parser_error("double" if kind != "int" else "int", value) from None
            if not number.is_finite():
                raise _parser_error("double", value)
            if kind == "int":
                if number != number.to_integral_value():
                    raise _parser_error("int", value)
                return int(number)
            if f.scale or f.precision:
                number = number.quantize(Decimal(1).scaleb(-f.scale), rounding=ROUND_HALF_UP)
                if f.precision and len(str(abs(int(number)))) > f.precision - f.scale:
                    raise SalesforceError("NUMBER_OUTSIDE_VALID_RANGE",
                                          f"{f.label}: value outside of valid range on numeric field: {value}", [f.name])
            return float(number)
        if kind == "date":
            if not isinstance(value, str) or not _DATE.match(value):
                raise _parser_error("date", value)
            try:
                datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                raise _parser_error("date", value) from None
            return value
        if kind == "datetime":
            try:
                return stamp(_parse_datetime(str(value)))
            except ValueError:
                raise _parser_error("datetime", value) from None
        if kind == "reference":
            return self._reference(f, value)
        return value

    def _reference(self, f: SfField, value: Any) -> str:
        text = str(value)
        full = to18(text)
        targets = [self.meta.find(t) for t in f.reference_to]
        prefixes = {t.prefix for t in targets if t is not None}
        if full is None:
            raise SalesforceError("MALFORMED_ID", f"{f.label}: id value of incorrect type: {text}", [f.name])
        if full[:3] not in prefixes:
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {text}", [f.name])
        found = self.row(full)
        if found is None:
            raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
        if found[2]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [f.name])
        return full

    def _parent_by_external_id(self, f: SfField, key: str, value: Mapping[str, Any]) -> str:
        parent = self.meta.get(f.reference_to[0])
        pairs = [(k, v) for k, v in value.items() if k != "attributes"]
        if len(pairs) != 1:
            raise SalesforceError("INVALID_FIELD", f"Foreign key {key} needs exactly one external id field", [])
        ext = self.field(parent, pairs[0][0], entity_word="entity")
        ids = self.lookup(parent.name, ext.name, pairs[0][1])
        if len(ids) != 1:
            what = "not found" if not ids else "matches more than one record"
            raise SalesforceError("INVALID_FIELD", f"Foreign key external ID: {pairs[0][1]} {what} for field "
                                                   f"{ext.name} in entity {parent.name}", [])
        return ids[0]

    def clean(self, obj: SfObject, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """Validated, converted values of one record body (field names made canonical)."""
        relationships = {f.relationship.lower(): f for f in obj.fields if f.relationship}
        out: dict[str, Any] = {}
        locked: list[str] = []
        for key, value in body.items():
            if key == "attributes":
                continue
            if isinstance(value, dict) and key.lower() in relationships:
                f = relationships[key.lower()]
                out[f.name] = self._parent_by_external_id(f, key, value)
                continue
            f = self.field(obj, key)
            allowed = f.createable if creating else f.updateable
            if not allowed or (f.custom and not self.meta.editable(obj.name, f.name)):
                locked.append(f.name)
                continue
            out[f.name] = value
        if locked:
            raise SalesforceError("INVALID_FIELD_FOR_INSERT_UPDATE",
                                  f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                                  "settings of this field and verify that it is read/write for your profile or "
                                  "permission set.", locked)
        fields = self.fields(obj)
        converted: dict[str, Any] = {}
        problems: list[SalesforceError] = []
        for name, value in out.items():
            f = fields[name.lower()]
            try:
                converted[name] = self._value(obj, f, value)
            except RequestError:
                raise
            except SalesforceError as exc:
                problems.append(exc)
        missing = [f.name for f in obj.fields if f.required and (f.name in out or creating)
                   and out.get(f.name) in (None, "")]
        if missing:
            raise SalesforceError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                                  missing)
        if problems:
            raise problems[0]
        return converted

    # --- writes ------------------------------------------------------------------------------

    def lookup(self, obj: str, field_name: str, value: Any) -> list[str]:
        """Live ids whose indexed field equals `value` (case-insensitive)."""
        rows = self.db.execute("SELECT id FROM keys WHERE object = ? AND field = ? AND value = ?",
                               (obj, field_name, str(value).lower()))
        return [r[0] for r in rows]

    def _check_unique(self, obj: SfObject, record_id: str | None, values: Mapping[str, Any]) -> None:
        for f in obj.fields:
            if f.unique and values.get(f.name) is not None:
                others = [i for i in self.lookup(obj.name, f.name, values[f.name]) if i != record_id]
                if others:
                    raise SalesforceError("DUPLICATE_VALUE", f"duplicate value found: {f.name} duplicates value on "
                                                             f"record with id: {others[0]}", [f.name])
        if obj.name == "FieldPermissions" and record_id is None:
            row = self.db.execute(
                "SELECT id FROM records WHERE object = 'FieldPermissions' AND deleted = 0 AND "
                "json_extract(data, '$.ParentId') = ? AND lower(json_extract(data, '$.Field')) = ?",
                (values.get("ParentId"), str(values.get("Field") or "").lower())).fetchone()
            if row:
                raise SalesforceError("DUPLICATE_VALUE", f"duplicate value found: <unknown> duplicates value on record "
                                                         f"with id: {row[0]}", [])

    def index(self, obj: SfObject, record_id: str, data: Mapping[str, Any]) -> None:
        """Refresh the unique/external-id index rows of one live record."""
        self.db.execute("DELETE FROM keys WHERE id = ?", (record_id,))
        rows = [(obj.name, f.name, str(data[f.name]).lower(), record_id) for f in obj.fields
                if (f.unique or f.external_id) and data.get(f.name) is not None]
        if rows:
            self.db.executemany("INSERT INTO keys VALUES (?, ?, ?, ?)", rows)

    def _derive(self, obj: SfObject, data: dict[str, Any], creating: bool) -> None:
        if "LastName" in data and obj.name in ("Contact", "User"):
            data["Name"] = " ".join(p for p in (data.get("FirstName"), data.get("LastName")) if p)
        if obj.name == "Task":
            data["IsClosed"] = data.get("Status") == "Completed"
            if data["IsClosed"] and not data.get("CompletedDateTime"):
                data["CompletedDateTime"] = self.now()
        if obj.name == "Case":
            data["IsClosed"] = data.get("Status") == "Closed"
            data["ClosedDate"] = (data.get("ClosedDate") or self.now()) if data["IsClosed"] else None
        if obj.name == "Event":
            start = data.get("StartDateTime") or data.get("ActivityDateTime")
            if creating and data.get("DurationInMinutes") is None and data.get("EndDateTime") is None \
                    and not data.get("IsAllDayEvent"):
                raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [DurationInMinutes]",
                                      ["DurationInMinutes"])
            if start:
                data["StartDateTime"] = data["ActivityDateTime"] = start
                begin = _parse_datetime(start)
                if data.get("EndDateTime") and data.get("DurationInMinutes") is None:
                    end = _parse_datetime(data["EndDateTime"])
                    data["DurationInMinutes"] = int((end - begin).total_seconds() // 60)
                elif data.get("DurationInMinutes") is not None:
                    data["EndDateTime"] = stamp(begin + timedelta(minutes=int(data["DurationInMinutes"])))
        if obj.name == "ContentVersion" and creating:
            # a first version creates its file (ContentDocument) and, with FirstPublishLocationId, the link (§2.10)
            document = self._system_insert("ContentDocument", {"Title": data.get("Title"),
                                                               "LatestPublishedVersionId": data["Id"]})
            data["ContentDocumentId"] = document
            if data.get("FirstPublishLocationId"):
                self._system_insert("ContentDocumentLink", {"ContentDocumentId": document, "ShareType": "V",
                                                            "LinkedEntityId": data["FirstPublishLocationId"],
                                                            "Visibility": "AllUsers"})

    def _system_insert(self, name: str, values: Mapping[str, Any]) -> str:
        """A record the platform makes as a side effect (no validation); its id."""
        obj = self.meta.get(name)
        now = self.now()
        record_id = self.mint.new(obj.prefix)
        data = {f.name: None for f in obj.fields}
        data.update({"Id": record_id, "IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now,
                     "SystemModstamp": now, "CreatedById": self.mint.api_user, "LastModifiedById": self.mint.api_user,
                     **values})
        self.db.execute("INSERT INTO records (id, object, data) VALUES (?, ?, ?)", (record_id, name, json.dumps(data)))
        return record_id

    def create(self, obj: SfObject, body: Mapping[str, Any], *, seeded_at: str | None = None) -> str:
        """Insert one record; its new 18-char id."""
        if not obj.createable:
            raise SalesforceError("INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support create")
        values = self.clean(obj, body, creating=True)
        self._check_unique(obj, None, values)
        record_id = self.mint.new(obj.prefix)
        now = seeded_at or self.now()
        data: dict[str, Any] = {f.name: (f.default if f.defaulted and f.type != "reference" else None)
                                for f in obj.fields}
        data.update({"Id": record_id, "IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now,
                     "SystemModstamp": now, "CreatedById": self.mint.api_user, "LastModifiedById": self.mint.api_user})
        if "OwnerId" in data:
            data["OwnerId"] = self.mint.api_user
        data.update(values)
        self._derive(obj, data, creating=True)
        self.db.execute("INSERT INTO records (id, object, data) VALUES (?, ?, ?)", (record_id, obj.name, json.dumps(data)))
        self.index(obj, record_id, data)
        if obj.name in ("FieldPermissions", "PermissionSetAssignment"):
            self.meta.invalidate()
        return record_id

    def live(self, obj: SfObject, record_id: str) -> dict[str, Any]:
        """The stored data of a live record of `obj`, or the error Salesforce gives."""
        found = self.row(record_id)
        if found is None or found[0] != obj.name:
            if to18(record_id) is None:
                raise SalesforceError("MALFORMED_ID", f"malformed id {record_id}", [], status=400)
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        if found[2]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
        return found[1]

    def update(self, obj: SfObject, record_id: str, body: Mapping[str, Any]) -> str:
        """Write values onto a live record; its id."""
        data = self.live(obj, record_id)
        values = self.clean(obj, body, creating=False)
        self._check_unique(obj, data["Id"], values)
        data.update(values)
        self._derive(obj, data, creating=False)
        data["LastModifiedDate"] = data["SystemModstamp"] = self.now()
        data["LastModifiedById"] = self.mint.api_user
        self.db.execute("UPDATE records SET data = ? WHERE id = ?", (json.dumps(data), data["Id"]))
        self.index(obj, data["Id"], data)
        if obj.name in ("FieldPermissions", "PermissionSetAssignment"):
            self.meta.invalidate()
        return str(data["Id"])

    def upsert(self, obj: SfObject, ext: SfField, value: Any, body: Mapping[str, Any]) -> tuple[str, bool]:
        """Create or update by external id: (id, created); several matches -> DUPLICATE_EXTERNAL_ID (300 in REST)."""
        if value in (None, ""):
            raise SalesforceError("MISSING_ARGUMENT", f"{ext.name} not specified", [ext.name])
        ids = [to18(str(value)) or ""] if ext.name == "Id" else self.lookup(obj.name, ext.name, value)
        if len(ids) > 1:
            raise SalesforceError("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", [ext.name],
                                  status=300, extra={"matchingIds": ids})
        rest = {k: v for k, v in body.items() if k.lower() != ext.name.lower()}
        if ids and ids[0]:
            return self.update(obj, ids[0], rest), False
        if ext.name == "Id":
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        return self.create(obj, {**rest, ext.name: value}), True

    def delete(self, obj: SfObject | None, record_id: str) -> str:
        """Move a record to the Recycle Bin (IsDeleted); recycled records free their unique values."""
        found = self.row(record_id)
        if found is None:
            if to18(record_id) is None:
                raise SalesforceError("MALFORMED_ID", f"malformed id {record_id}", [])
            raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [], status=404)
        name, data, deleted = found
        if deleted:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
        if obj is not None and obj.name != name:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        data["IsDeleted"] = True
        data["LastModifiedDate"] = data["SystemModstamp"] = self.now()
        self.db.execute("UPDATE records SET data = ?, deleted = 1 WHERE id = ?", (json.dumps(data), data["Id"]))
        self.db.execute("DELETE FROM keys WHERE id = ?", (data["Id"],))
        if name in ("FieldPermissions", "PermissionSetAssignment"):
            self.meta.invalidate()
        return str(data["Id"])

    # --- SOQL --------------------------------------------------------------------------------

    def _candidates(self, obj: SfObject, q: Query, include_deleted: bool) -> Iterator[dict[str, Any]]:
        indexed = {f.name.lower(): f.name for f in obj.fields if f.unique or f.external_id}
        for term in index_terms(q.where):
            if term[1].lower() == "id" and term[0] != "like":
                values = term[2] if term[0] == "in" else [term[3]]
                ids = [i for i in (to18(str(v)) for v in values if v is not None) if i]
                where = "" if include_deleted else " AND deleted = 0"
                rows = self.db.execute(f"SELECT data FROM records WHERE object = ?{where} AND id IN "
                                       f"({','.join('?' * len(ids))}) ORDER BY rowid", [obj.name, *ids])
                for row in rows:
                    yield json.loads(row[0])
                return
            name = indexed.get(term[1].lower())
            if name is None or include_deleted:
                continue
            if term[0] == "like":
                sql, args = "value LIKE ? ESCAPE '\\'", [term[2].lower()]
            else:
                values = term[2] if term[0] == "in" else [term[3]]
                texts = [str(v).lower() for v in values if v is not None]
                sql, args = f"value IN ({','.join('?' * len(texts))})", texts
            rows = self.db.execute(f"SELECT r.data FROM keys k JOIN records r ON r.id = k.id WHERE k.object = ? "
                                   f"AND k.field = ? AND k.{sql} ORDER BY r.rowid", [obj.name, name, *args])
            for row in rows:
                yield json.loads(row[0])
            return
        where = "" if include_deleted else " AND deleted = 0"
        for row in self.db.execute(f"SELECT data FROM records WHERE object = ?{where} ORDER BY rowid", (obj.name,)):
            yield json.loads(row[0])

    def query(self, q: Query, *, include_deleted: bool, tooling_rows: list[dict[str, Any]] | None = None,
              tooling_columns: tuple[str, ...] = ()) -> tuple[int, list[dict[str, Any]]]:
        """(totalSize, shaped records) of a parsed query."""
        if tooling_rows is None:
            obj = self.meta.find(q.obj)
            if obj is None:
                raise located(q.text, word_at(q.text, q.obj), "INVALID_TYPE",
                              f"sObject type '{q.obj}' is not supported. If you are attempting to use a custom object, "
                              "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
                              "describe call for the appropriate names.")
            names = {f.name.lower(): f.name for f in obj.fields}
            rows: Iterator[dict[str, Any]] | list[dict[str, Any]] = self._candidates(obj, q, include_deleted)
        else:
            obj = SfObject(q.obj, q.obj, "", [])
            names = {k.lower(): k for k in tooling_columns}
            rows = tooling_rows
        canonical: dict[str, str] = {}
        for name in [*q.fields, *field_names(q.where), *(n for n, _ in q.order)]:
            if name.lower() not in names:
                raise located(q.text, word_at(q.text, name), "INVALID_FIELD",
                              f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom "
                              "field, be sure to append the '__c' after the custom field name. Please reference your "
                              "WSDL or the describe call for the appropriate names.")
            canonical[name.lower()] = names[name.lower()]
        found = [r for r in rows if matches(q.where, lambda n, r=r: r.get(canonical[n.lower()]))]
        for name, desc in reversed(q.order):
            key = canonical[name.lower()]
            found.sort(key=lambda r, key=key: (r.get(key) is None, str(r.get(key) or "").lower()), reverse=desc)
        total = len(found)
        found = found[q.offset:]
        if q.limit is not None:
            found = found[:q.limit]
            total = min(total, q.limit)
        if q.count:
            return total, []
        wanted = [canonical[n.lower()] for n in q.fields]
        if tooling_rows is not None:
            return total, [{"attributes": {"type": q.obj}, **{n: r.get(n) for n in wanted}} for r in found]
        return total, [self.shape(obj, r, wanted) for r in found]

    def counts(self) -> dict[str, int]:
        """Live records per object."""
        rows = self.db.execute("SELECT object, COUNT(*) FROM records WHERE deleted = 0 GROUP BY object ORDER BY object")
        return {r[0]: r[1] for r in rows}

