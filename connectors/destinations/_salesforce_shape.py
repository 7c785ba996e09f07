"""Salesforce shapes: describe -> mapper Entity, values <-> JSON, errors -> Outcome codes, changes -> Tooling metadata."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.base import MODIFIED_AT, Record
from mapper.schema import Entity, Field, FieldType, SchemaChange

EXTERNAL_ID_FIELD = "BW_External_Id__c"
DENTAL_OBJECTS = ("Account", "Contact", "Opportunity", "Event", "Task", "Case", "Note", "ContentNote", "ContentVersion",
                  "ContentDocumentLink", "User")  # the objects of the reference (§2.10) and the eval cases
EDITIONS: dict[str, tuple[int, int]] = {
    # edition -> (custom fields per object, custom objects per org), reference §2.3
    "Starter": (25, 0), "Group": (100, 50), "Essentials": (100, 50), "Professional": (100, 50),
    "Enterprise": (500, 200), "Developer": (500, 200), "Unlimited": (800, 2000), "Performance": (800, 2000),
}

_TYPES: dict[str, FieldType] = {
    "string": "string", "combobox": "string", "encryptedstring": "string", "textarea": "text", "email": "email",
    "phone": "phone", "url": "url", "picklist": "enum", "multipicklist": "enum", "reference": "reference",
    "boolean": "bool", "date": "date", "datetime": "datetime", "double": "decimal", "percent": "decimal",
    "currency": "money", "int": "int", "long": "int", "id": "string", "base64": "file", "time": "string",
}
_TEXT = frozenset({"string", "combobox", "encryptedstring", "textarea", "email", "phone", "url", "picklist",
                   "multipicklist"})
_COMPOUND = frozenset({"address", "location"})


def to_field(f: Mapping[str, Any]) -> Field:
    """One describe field as a mapper Field (required = createable, not nillable, not defaulted, not boolean)."""
    kind = str(f.get("type", "string"))
    required = bool(f.get("createable")) and not f.get("nillable") and not f.get("defaultedOnCreate") \
        and kind != "boolean"
    refs = list(f.get("referenceTo") or [])
    normalised = _TYPES.get(kind, "string")
    if kind == "double" and f.get("scale") == 0 and f.get("precision"):
        normalised = "int"  # a Number(18, 0) custom field describes as double but holds whole numbers
    return Field(
        name=str(f["name"]), type=normalised, label=str(f.get("label") or ""), required=required,
        max_length=int(f["length"]) if kind in _TEXT and f.get("length") else None,
        enum_values=tuple(str(v["value"]) for v in f.get("picklistValues") or [] if v.get("active", True)),
        reference=str(refs[0]) if kind == "reference" and refs else None, is_key=f["name"] == "Id",
        is_custom=bool(f.get("custom")), readonly=not f.get("createable") and not f.get("updateable"),
        unique=bool(f.get("unique")), native_type=kind,
    )


def to_entity(described: Mapping[str, Any]) -> Entity:
    """A describe result as a mapper Entity (compound address/location fields are left out: their parts are there)."""
    fields = tuple(to_field(f) for f in described.get("fields", []) if f.get("type") not in _COMPOUND)
    return Entity(name=str(described["name"]), fields=fields, label=str(described.get("label") or ""),
                  key="Id", is_custom=bool(described.get("custom")))


def to_json(value: Any) -> Any:
    """A Python value as Salesforce's JSON wants it (Decimal -> number, datetimes -> UTC with ms)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime):
        moment = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    if isinstance(value, date):
        return value.isoformat()
    return value


def body(entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A record body: attributes + values; a dotted key `Account.Ext__c` becomes a parent reference by external id."""
    out: dict[str, Any] = {"attributes": {"type": entity}}
    for key, value in values.items():
        if key == MODIFIED_AT or key == "attributes":
            continue
        if "." in key:
            relation, _, ext = key.partition(".")
            out[relation] = {ext: to_json(value)}
        else:
            out[key] = to_json(value)
    return out


def flatten(record: Mapping[str, Any]) -> Record:
    """A REST record -> flat values plus MODIFIED_AT (LastModifiedDate)."""
    out: Record = {k: v for k, v in record.items() if k != "attributes"}
    out[MODIFIED_AT] = record.get("LastModifiedDate")
    return out


def soql_text(value: str) -> str:
    """A SOQL string literal (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql_prefix(value: str) -> str:
    """A LIKE pattern matching every value that starts with `value`."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("%", "\\%").replace("_", "\\_")
    return f"'{escaped}%'"


_CODES: dict[str, tuple[str, str]] = {
    # Salesforce statusCode -> (Outcome code, message template); templates name fields, never values
    "REQUIRED_FIELD_MISSING": ("required", "{entity}: required field(s) {fields} are empty."),
    "STRING_TOO_LONG": ("too_long", "{entity}: {fields} is longer than the field allows."),
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": ("invalid_option", "{entity}: {fields} is not one of the picklist's values."),
    "DUPLICATE_VALUE": ("duplicate", "{entity}: another record already holds this unique value ({fields})."),
    "DUPLICATE_EXTERNAL_ID": ("duplicate_external_id", "{entity}: several records share this external id."),
    "DUPLICATES_DETECTED": ("duplicate_rule", "{entity}: a duplicate rule blocked the record."),
    "INVALID_FIELD": ("unknown_field", "{entity}: a field does not exist or is hidden by field-level security{where}."),
    "INVALID_FIELD_FOR_INSERT_UPDATE": ("read_only_field", "{entity}: {fields} cannot be written by this user."),
    "INVALID_EMAIL_ADDRESS": ("invalid_email", "{entity}: {fields} is not a valid email address."),
    "NUMBER_OUTSIDE_VALID_RANGE": ("out_of_range", "{entity}: {fields} is outside the field's numeric range."),
    "JSON_PARSER_ERROR": ("invalid_value", "{entity}: a value has the wrong type (date, number or boolean)."),
    "INVALID_TYPE_ON_FIELD_IN_RECORD": ("invalid_value", "{entity}: {fields} has the wrong type."),
    "MALFORMED_ID": ("invalid_reference", "{entity}: {fields} is not a Salesforce id."),
    "FIELD_INTEGRITY_EXCEPTION": ("invalid_reference", "{entity}: {fields} points at the wrong kind of record."),
    "INVALID_CROSS_REFERENCE_KEY": ("missing_reference", "{entity}: a linked record does not exist{where}."),
    "ENTITY_IS_DELETED": ("deleted", "{entity}: the record (or a linked record) is in the Recycle Bin."),
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": ("validation_rule", "{entity}: a validation rule refused the record."),
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": ("automation", "{entity}: a trigger or flow refused the record."),
    "STORAGE_LIMIT_EXCEEDED": ("storage_full", "{entity}: the org's data storage is full."),
}


def reject(entity: str, errors: list[Mapping[str, Any]], status: int | None = None) -> tuple[str, str, dict[str, Any]]:
    """(code, message, details) for a refused record; only field names and codes come from the server."""
    first = errors[0] if errors else {}
    sf_code = str(first.get("statusCode") or first.get("errorCode") or "")
    fields = [str(f) for f in first.get("fields") or []]
    code, template = _CODES.get(sf_code, ("rejected", "{entity}: Salesforce refused the record ({sf_code})."))
    names = ", ".join(fields) or "a field"
    message = template.format(entity=entity, fields=names, where=f" ({names})" if fields else "", sf_code=sf_code
                              or f"HTTP {status}")
    return code, message, {"status_code": sf_code, "fields": fields}


_METADATA_TYPES: dict[str, str] = {
    "string": "Text", "text": "LongTextArea", "email": "Email", "phone": "Phone", "url": "Url", "int": "Number",
    "decimal": "Number", "money": "Currency", "bool": "Checkbox", "date": "Date", "datetime": "DateTime",
    "enum": "Picklist", "reference": "Lookup", "json": "LongTextArea", "file": "Url",
}


def field_metadata(change: SchemaChange) -> dict[str, Any]:
    """The Tooling CustomField Metadata for a field change (§2.3)."""
    kind = _METADATA_TYPES[change.type]
    if kind == "Picklist" and not change.enum_values:
        kind = "Text"  # a picklist needs at least one value
    if kind == "Text" and (change.max_length or 0) > 255 and not (change.unique or change.external_id):
        kind = "LongTextArea"
    meta: dict[str, Any] = {"label": (change.label or change.name.removesuffix("__c").replace("_", " "))[:40],
                            "type": kind, "description": (change.description or change.reason)[:1000],
                            "required": False}
    if kind == "Text":
        meta["length"] = min(255, change.max_length or 255)
    elif kind == "LongTextArea":
        meta.update(length=max(256, min(131072, change.max_length or 32768)), visibleLines=3)
    elif kind == "Number":
        meta.update(precision=18, scale=0 if change.type == "int" else 4)
    elif kind == "Currency":
        meta.update(precision=18, scale=2)
    elif kind == "Checkbox":
        meta.update(defaultValue="false")
        del meta["required"]
    elif kind == "Picklist":
        values = [{"fullName": v, "label": v, "default": False} for v in dict.fromkeys(change.enum_values)]
        meta["valueSet"] = {"restricted": True, "valueSetDefinition": {"sorted": False, "value": values}}
    elif kind == "Lookup":
        relationship = change.name.removesuffix("__c").removesuffix("_Id").removesuffix("Id") or "Parent"
        meta.update(referenceTo=change.reference, relationshipName=relationship, deleteConstraint="SetNull",
                    relationshipLabel=(f"{change.entity.removesuffix('__c')} {relationship}").replace("_", " ")[:40])
    if kind in ("Text", "Number", "Email") and (change.unique or change.external_id):
        meta.update(unique=bool(change.unique or change.external_id), externalId=bool(change.external_id),
                    caseSensitive=False)
    return meta


def object_metadata(change: SchemaChange) -> dict[str, Any]:
    """The CustomObject Metadata for an object change (Text name field, deployed, read/write sharing)."""
    label = (change.label or change.entity.removesuffix("__c").replace("_", " "))[:40]
    return {"label": label, "pluralLabel": label + "s", "nameField": {"type": "Text", "label": f"{label} Name"[:40]},
            "deploymentStatus": "Deployed", "sharingModel": "ReadWrite",
            "description": (change.description or change.reason)[:1000]}
