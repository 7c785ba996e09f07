"""Translations between Twenty's wire shapes and bridgework's: metadata -> Schema, nested <-> flat records,
rejection messages -> value-free codes, SchemaChange -> metadata bodies (reference §1.2-§1.9)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.base import MODIFIED_AT, Record
from mapper.schema import Entity, Field, FieldType, SchemaChange

EXTERNAL_ID_FIELD = "bwExternalId"
ID_NAMESPACE = uuid.UUID("2a7c0a4e-4f0b-5b8e-9d61-6b1f2f7d0c11")

# System objects bridgework writes or looks up; other system objects (favorites, timeline...) stay hidden.
LINK_OBJECTS = frozenset({"noteTarget", "taskTarget", "attachment", "workspaceMember"})

_SUBFIELD_TYPES: dict[str, dict[str, FieldType]] = {
    "FULL_NAME": {"firstName": "string", "lastName": "string"},
    "EMAILS": {"primaryEmail": "email", "additionalEmails": "json"},
    "PHONES": {"primaryPhoneNumber": "phone", "primaryPhoneCountryCode": "string",
               "primaryPhoneCallingCode": "string", "additionalPhones": "json"},
    "ADDRESS": {"addressStreet1": "string", "addressStreet2": "string", "addressCity": "string",
                "addressPostcode": "string", "addressState": "string", "addressCountry": "string",
                "addressLat": "decimal", "addressLng": "decimal"},
    "CURRENCY": {"amountMicros": "money", "currencyCode": "string"},
    "LINKS": {"primaryLinkLabel": "string", "primaryLinkUrl": "url", "secondaryLinks": "json"},
    "RICH_TEXT_V2": {"markdown": "text", "blocknote": "json"},
}
_UNIQUE_SUBFIELD = {"EMAILS": "primaryEmail", "LINKS": "primaryLinkUrl"}
_JSON_SUBFIELDS = frozenset({"additionalEmails", "additionalPhones", "secondaryLinks"})
_NULLABLE_SUBFIELDS = frozenset({"amountMicros", "addressLat", "addressLng", "blocknote", "markdown"}) | _JSON_SUBFIELDS
_SCALAR_TYPES: dict[str, FieldType] = {
    "TEXT": "string", "UUID": "string", "NUMBER": "decimal", "NUMERIC": "decimal", "BOOLEAN": "bool",
    "DATE_TIME": "datetime", "DATE": "date", "SELECT": "enum", "RATING": "enum", "MULTI_SELECT": "json",
    "RAW_JSON": "json", "ARRAY": "json",
}
_SKIPPED = frozenset({"position", "searchVector", "deletedAt", "createdBy"})
# Server-managed keys a read() returns that must never go back in a write (restoring a before-image).
_UNWRITABLE = _SKIPPED | {"id", "updatedAt", MODIFIED_AT}
_READONLY = frozenset({"id", "updatedAt"})


def record_id(external_id: str) -> str:
    """The deterministic Twenty id of a record: uuid5 of its external id (retries and resumes reuse it)."""
    return str(uuid.uuid5(ID_NAMESPACE, external_id))


def to_entity(obj: Mapping[str, Any]) -> Entity:
    """One metadata object as a bridgework Entity with flat (dotted) field names."""
    out: list[Field] = []
    for f in obj["fields"]:
        if not f.get("isActive", True) or f["name"] in _SKIPPED:
            continue
        common = {"label": f.get("label") or "", "description": f.get("description") or "",
                  "is_custom": bool(f.get("isCustom")), "native_type": f["type"]}
        ftype = f["type"]
        if ftype in _SUBFIELD_TYPES:
            for sub, kind in _SUBFIELD_TYPES[ftype].items():
                label = f"{common['label']} / {sub}"
                note = " (amount x 1,000,000)" if sub == "amountMicros" else ""
                out.append(Field(name=f"{f['name']}.{sub}", type=kind, **{**common, "label": label,
                                 "description": (common["description"] + note).strip(),
                                 "native_type": f"{ftype}.{sub}"},
                                 unique=bool(f.get("isUnique")) and _UNIQUE_SUBFIELD.get(ftype) == sub))
        elif ftype == "RELATION":
            rel = f.get("relation") or {}
            if rel.get("type") != "MANY_TO_ONE":
                continue
            target = (rel.get("targetObjectMetadata") or {}).get("nameSingular")
            out.append(Field(name=f"{f['name']}Id", type="reference", reference=target, **common))
        elif ftype in _SCALAR_TYPES:
            required = (not f.get("isNullable", True) and f.get("defaultValue") is None
                        and f["name"] not in _READONLY and f["name"] != "createdAt")
            out.append(Field(
                name=f["name"], type=_SCALAR_TYPES[ftype], required=required,
                enum_values=tuple(o["value"] for o in f.get("options") or ()),
                is_key=f["name"] == "id", readonly=f["name"] in _READONLY, unique=bool(f.get("isUnique")), **common))
    return Entity(name=obj["nameSingular"], fields=tuple(out), label=obj.get("labelSingular") or "",
                  description=obj.get("description") or "", key="id", is_custom=bool(obj.get("isCustom")))


def wire_value(value: Any) -> Any:
    """A Python value as Twenty's JSON wants it (Decimal -> number, dates -> ISO-8601)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def nest(values: Mapping[str, Any], obj: Mapping[str, Any]) -> dict[str, Any]:
    """Flat values -> a Twenty body; None on a non-nullable field becomes Twenty's own default."""
    types = {f["name"]: f for f in obj["fields"]}
    body: dict[str, Any] = {}
    for key, value in values.items():
        head, _, sub = key.partition(".")
        if head in _UNWRITABLE:
            continue
        value = wire_value(value)
        if sub:
            if value is None and sub not in _NULLABLE_SUBFIELDS:
                value = ""
            body.setdefault(head, {})[sub] = value
            continue
        field = types.get(key)
        if value is None and field is not None and not field.get("isNullable", True):
            default = field.get("defaultValue")
            if isinstance(default, str) and len(default) >= 2 and default[0] == default[-1] == "'":
                value = default[1:-1]
        body[key] = value
    return body


def flatten(record: Mapping[str, Any], fields: set[str] | None = None) -> Record:
    """A depth-0 Twenty record -> flat values plus MODIFIED_AT; JSON-string lists parsed back."""
    out: Record = {}
    for key, value in record.items():
        if key in _SKIPPED:
            continue
        if isinstance(value, dict):
            for sub, inner in value.items():
                if sub in _JSON_SUBFIELDS and isinstance(inner, str):
                    try:
                        inner = json.loads(inner)
                    except ValueError:
                        pass
                out[f"{key}.{sub}"] = inner
        else:
            out[key] = value
    if fields is not None:
        out = {k: v for k, v in out.items() if k in fields or k == "id"}
    out[MODIFIED_AT] = record.get("updatedAt")
    return out


def expected(key: str, value: Any) -> Any:
    """What Twenty will store for a flat value, so equal records are left alone (reference §1.7)."""
    value = wire_value(value)
    sub = key.rpartition(".")[2]
    if sub == "primaryEmail" and isinstance(value, str):
        return value.strip().lower()
    if sub == "additionalEmails" and isinstance(value, list):
        return [str(v).strip().lower() for v in value]
    if sub == "primaryLinkUrl" and isinstance(value, str):
        return value.strip().lower().rstrip("/")
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def same(stored: Record, values: Mapping[str, Any]) -> bool:
    """True when writing `values` would change nothing in `stored`."""
    for key, value in values.items():
        want, have = expected(key, value), expected(key, stored.get(key))
        if want in (None, "") and have in (None, ""):
            continue
        if want != have:
            return False
    return True


_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"duplicate entry for (\w+)|duplicate key value|duplicate entry was detected|"
                r"Please set a unique one|unique constraint", re.I), "duplicate",
     "{entity}: another record in Twenty already holds this unique value{where}."),
    (re.compile(r"^Record already exists"), "duplicate_id", "{entity}: a record with this id already exists."),
    (re.compile(r"^Invalid country code"), "invalid_phone_country", "{entity}: the phone country code is not an ISO country."),
    (re.compile(r"^Invalid calling code"), "invalid_phone_calling_code", "{entity}: the phone calling code does not exist."),
    (re.compile(r"invalid input value for enum \w+?_(\w+)_enum"), "invalid_option",
     "{entity}: {field} is not one of the field's options."),
    (re.compile(r'column "(\w+)" of relation .* not-null'), "required", "{entity}: {field} must not be empty."),
    (re.compile(r"violates foreign key constraint"), "missing_reference", "{entity}: a linked record does not exist."),
    (re.compile(r'doesn\'t have any "(\w+)" field'), "unknown_field", "{entity} has no field {field}."),
    (re.compile(r"is not a valid UUID"), "invalid_id", "{entity}: an id or link is not a valid UUID."),
    (re.compile(r"invalid input syntax for type ([\w ]+?):"), "invalid_value", "{entity}: a value is not a valid {field}."),
    (re.compile(r'Invalid value for field "([\w.]+)"'), "invalid_value", "{entity}: {field} has the wrong type."),
    (re.compile(r"^Rich text is not supported"), "invalid_value", "{entity}: rich text goes in bodyV2.markdown."),
    (re.compile(r"^Record not found"), "not_found", "{entity}: the record does not exist in Twenty."),
)


def reject_reason(entity: str, status: int, messages: list[str]) -> tuple[str, str]:
    """(code, message) for a refused record; only field names ever come from the server's text."""
    text = messages[0] if messages else ""
    for pattern, code, template in _RULES:
        match = pattern.search(text)
        if match:
            field = next((g for g in match.groups() if g), "")
            where = f" ({field})" if field else ""
            return code, template.format(entity=entity, field=field or "a field", where=where)
    return "rejected", f"{entity}: Twenty refused the record (HTTP {status})."


_CHANGE_TYPES: dict[str, str] = {
    "string": "TEXT", "text": "TEXT", "email": "TEXT", "phone": "TEXT", "url": "TEXT", "file": "TEXT",
    "int": "NUMBER", "decimal": "NUMBER", "money": "NUMBER", "bool": "BOOLEAN", "date": "DATE",
    "datetime": "DATE_TIME", "enum": "SELECT", "reference": "RELATION", "json": "RAW_JSON",
}


def option_value(value: str) -> str:
    """A SELECT option value: a valid GraphQL enum name (reference §1.2)."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper() or "EMPTY"
    return cleaned if not cleaned[0].isdigit() else f"V_{cleaned}"


def field_name(change: SchemaChange) -> str:
    """The Twenty field name for a change: a reference `fooId` becomes the relation `foo`."""
    if change.type == "reference" and change.name.endswith("Id") and len(change.name) > 2:
        return change.name[:-2]
    return change.name


def field_body(change: SchemaChange, object_id: str, target_id: str | None) -> dict[str, Any]:
    """POST /rest/metadata/fields body for a field change (scalar types keep flat names equal to the change's)."""
    body: dict[str, Any] = {
        "objectMetadataId": object_id, "type": _CHANGE_TYPES[change.type], "name": field_name(change),
        "label": change.label or change.name, "description": change.description or change.reason,
        "isNullable": True, "isUnique": bool(change.unique or change.external_id),
    }
    if change.type == "enum":
        body["options"] = [{"value": option_value(v), "label": v, "position": i, "color": "gray"}
                           for i, v in enumerate(dict.fromkeys(change.enum_values))]
    if change.type == "reference":
        body["relationCreationPayload"] = {"targetObjectMetadataId": target_id, "type": "MANY_TO_ONE",
                                           "targetFieldLabel": f"{change.entity} {field_name(change)}",
                                           "targetFieldIcon": "IconLink"}
    return body


def plural(name: str) -> str:
    """An English plural for a camelCase object name (patientVisit -> patientVisits)."""
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    return name + "s"
