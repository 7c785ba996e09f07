"""Salesforce emulator metadata: custom fields/objects via Tooling, field-level security (reference §2.2-2.3)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from connectors.destinations._salesforce_shape import EDITIONS
from connectors.emulators._salesforce_ids import IdMint
from connectors.emulators._salesforce_objects import (
    AUDIT_FIELDS,
    AUDITABLE,
    SalesforceError,
    SfField,
    SfObject,
    standard_objects,
    system_fields,
)

def _custom_object(row: sqlite3.Row | tuple[Any, ...]) -> SfObject:
    object_id, name, label, plural, prefix, name_type, name_label = row
    auto = name_type == "AutoNumber"
    name_field = SfField("Name", "string", name_label, 80, nillable=auto, createable=not auto, updateable=not auto,
                         defaulted=auto, id_lookup=True, auto_number=auto)
    return SfObject(name, label, prefix, system_fields(True, name_field), custom=True, plural=plural,
                    object_id=object_id)


def custom_field(row: dict[str, Any]) -> SfField:
    """A custom field from its stored Tooling metadata."""
    meta: dict[str, Any] = json.loads(row["metadata"])
    kind = str(meta.get("type", "Text"))
    label = str(meta.get("label") or row["name"])
    required = bool(meta.get("required"))
    common: dict[str, Any] = dict(custom=True, nillable=not required, unique=bool(meta.get("unique")),
                                  external_id=bool(meta.get("externalId")))
    common["id_lookup"] = common["unique"] or common["external_id"]
    name = row["name"]
    if kind in ("Text", "Email", "Phone", "Url", "TextArea", "LongTextArea", "Html"):
        described = {"Text": "string", "Email": "email", "Phone": "phone", "Url": "url"}.get(kind, "textarea")
        length = int(meta.get("length") or {"Email": 80, "Phone": 40, "Url": 255, "TextArea": 255}.get(kind, 255))
        return SfField(name, described, label, length, **common)
    if kind in ("Number", "Currency", "Percent"):
        described = {"Number": "double", "Currency": "currency", "Percent": "percent"}[kind]
        return SfField(name, described, label, precision=int(meta.get("precision") or 18),
                       scale=int(meta.get("scale") or 0), **common)
    if kind == "Checkbox":
        default = str(meta.get("defaultValue", "false")).lower() == "true"
        return SfField(name, "boolean", label, custom=True, nillable=False, defaulted=True, default=default)
    if kind in ("Date", "DateTime"):
        return SfField(name, kind.lower(), label, **common)
    if kind in ("Picklist", "MultiselectPicklist"):
        value_set = meta.get("valueSet") or {}
        values = tuple(str(v.get("fullName") or v.get("label")) for v in
                       (value_set.get("valueSetDefinition") or {}).get("value", []))
        default = next((str(v.get("fullName")) for v in (value_set.get("valueSetDefinition") or {}).get("value", [])
                        if v.get("default")), None)
        described = "picklist" if kind == "Picklist" else "multipicklist"
        return SfField(name, described, label, 255 if kind == "Picklist" else 4099, picklist=values,
                       restricted=bool(value_set.get("restricted")), default=default, defaulted=default is not None,
                       custom=True)
    if kind in ("Lookup", "MasterDetail"):
        relationship = str(meta.get("relationshipName") or name[:-3]) + "__r"
        return SfField(name, "reference", label, 18, reference_to=(str(meta.get("referenceTo")),),
                       relationship=relationship, custom=True, nillable=kind == "Lookup")
    raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", f"Unsupported field type: {kind}", ["Metadata"])


class MetadataStore:
    """Standard objects plus custom objects/fields and field-level security, kept in SQLite."""

    def __init__(self, db: sqlite3.Connection, mint: IdMint, *, edition: str, auto_grant: Callable[[], bool],
                 audit_fields: Callable[[], bool]) -> None:
        self.db = db
        self.mint = mint
        self.edition = edition
        self.auto_grant = auto_grant
        self.audit_fields = audit_fields
        db.executescript("""
            CREATE TABLE IF NOT EXISTS custom_objects (id TEXT PRIMARY KEY, name TEXT UNIQUE COLLATE NOCASE,
                label TEXT, plural TEXT, prefix TEXT, name_type TEXT, name_label TEXT, metadata TEXT);
            CREATE TABLE IF NOT EXISTS custom_fields (id TEXT PRIMARY KEY, object TEXT, name TEXT, metadata TEXT,
                UNIQUE (object, name));
        """)
        self.standard = {o.name: o for o in standard_objects()}
        self.version = 0
        self._cache: dict[str, SfObject] = {}
        self._visible: dict[tuple[str, str], bool] | None = None

    # --- lookups --------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget cached objects after a metadata or permission change."""
        self.version += 1
        self._cache.clear()
        self._visible = None

    def names(self) -> list[str]:
        """Every object name: standard ones, then custom ones by creation."""
        custom = [r[0] for r in self.db.execute("SELECT name FROM custom_objects ORDER BY rowid")]
        return list(self.standard) + custom

    def find(self, name: str) -> SfObject | None:
        """The object called `name` (case-insensitive, as Salesforce matches API names), fields as the user sees them."""
        key = name.lower()
        if key in self._cache:
            return self._cache[key]
        base = next((o for n, o in self.standard.items() if n.lower() == key), None)
        if base is None:
            row = self.db.execute("SELECT id, name, label, plural, prefix, name_type, name_label FROM custom_objects "
                                  "WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            base = _custom_object(tuple(row))
        fields = [self._audit(base.name, f) for f in base.fields]
        fields += [f for f in self.custom_fields(base.name) if self.visible(base.name, f.name)]
        obj = replace(base, fields=fields)
        self._cache[key] = obj
        return obj

    def get(self, name: str) -> SfObject:
        """The object, or 404 NOT_FOUND as /sobjects/<X> answers for an unknown type."""
        obj = self.find(name)
        if obj is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        return obj

    def by_prefix(self, prefix: str) -> SfObject | None:
        """The object whose ids start with `prefix`."""
        for name in self.names():
            obj = self.find(name)
            if obj is not None and obj.prefix == prefix:
                return obj
        return None

    def _audit(self, obj: str, f: SfField) -> SfField:
        if f.name in AUDIT_FIELDS and self.audit_fields() and (obj in AUDITABLE or obj.endswith("__c")):
            return replace(f, createable=True)
        return f

    def custom_fields(self, obj: str) -> list[SfField]:
        """Every custom field of `obj`, granted or not."""
        rows = self.db.execute("SELECT name, metadata FROM custom_fields WHERE object = ? ORDER BY rowid", (obj,))
        return [custom_field({"name": n, "metadata": m}) for n, m in rows]

    def hidden_field(self, obj: str, name: str) -> bool:
        """True when `name` is a custom field of `obj` that field-level security hides."""
        row = self.db.execute("SELECT 1 FROM custom_fields WHERE object = ? AND name = ? COLLATE NOCASE",
                              (obj, name)).fetchone()
        return row is not None and not self.visible(obj, name)

    # --- field-level security ------------------------------------------------------------

    def _grants(self) -> dict[tuple[str, str], bool]:
        """(object, field) lower-cased -> edit allowed, for every field the API user may read."""
        if self._visible is None:
            rows = self.db.execute(
                "SELECT json_extract(f.data, '$.Field'), max(coalesce(json_extract(f.data, '$.PermissionsEdit'), 0)) "
                "FROM records f JOIN records a ON a.object = 'PermissionSetAssignment' AND a.deleted = 0 "
                "AND json_extract(a.data, '$.PermissionSetId') = json_extract(f.data, '$.ParentId') "
                "WHERE f.object = 'FieldPermissions' AND f.deleted = 0 AND json_extract(f.data, '$.PermissionsRead') "
                "AND json_extract(a.data, '$.AssigneeId') = ? GROUP BY lower(json_extract(f.data, '$.Field'))",
                (self.mint.api_user,))
            grants: dict[tuple[str, str], bool] = {}
            for full, edit in rows:
                obj, _, name = str(full or "").lower().partition(".")
                grants[(obj, name)] = bool(edit)
            self._visible = grants
        return self._visible

    def visible(self, obj: str, field_name: str) -> bool:
        """Custom fields need a FieldPermissions read grant in a permission set assigned to the API user."""
        return self.auto_grant() or (obj.lower(), field_name.lower()) in self._grants()

    def editable(self, obj: str, field_name: str) -> bool:
        """True when a granted custom field also has PermissionsEdit."""
        return self.auto_grant() or self._grants().get((obj.lower(), field_name.lower()), False)

    # --- Tooling: custom fields and objects -----------------------------------------------

    def create_field(self, full_name: str, metadata: dict[str, Any]) -> str:
        """POST /tooling/sobjects/CustomField: validate, enforce the edition limit, store; the new 00N id."""
        obj_name, _, name = full_name.partition(".")
        obj = self.find(obj_name)
        if obj is None or not name:
            raise SalesforceError("INVALID_INPUT", f"Cannot find object for FullName: {full_name}", ["FullName"])
        if not name.endswith("__c") or "__" in name[:-3] or not name[0].isalpha():
            raise SalesforceError("INVALID_FIELD", f"Invalid custom field name: {name}", ["FullName"])
        taken = {f.name.lower() for f in self.standard.get(obj.name, obj).fields}
        taken |= {f.name.lower() for f in self.custom_fields(obj.name)}
        if name.lower() in taken:
            raise SalesforceError("DUPLICATE_DEVELOPER_NAME",
                                  f"There is already a field named {name[:-3]} on {obj.name}.", ["FullName"])
        limit = EDITIONS[self.edition][0]
        if len(self.custom_fields(obj.name)) >= limit:
            raise SalesforceError("LIMIT_EXCEEDED", f"You have reached the maximum number of custom fields "
                                                    f"({limit}) for {obj.name} in this edition.", ["FullName"])
        kind = str(metadata.get("type", ""))
        if kind in ("Text",) and not 1 <= int(metadata.get("length") or 0) <= 255:
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", "Length: The length must be between 1 and 255.",
                                  ["Length"])
        if kind == "Lookup" and self.find(str(metadata.get("referenceTo") or "")) is None:
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", "Reference To: invalid object", ["ReferenceTo"])
        if not metadata.get("label"):
            raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Label]", ["Label"])
        custom_field({"name": name, "metadata": json.dumps(metadata)})  # rejects unknown types
        field_id = self.mint.new("00N")
        self.db.execute("INSERT INTO custom_fields (id, object, name, metadata) VALUES (?, ?, ?, ?)",
                        (field_id, obj.name, name, json.dumps(metadata)))
        self.invalidate()
        return field_id

    def field_row(self, field_id: str) -> dict[str, Any] | None:
        """The Tooling view of a custom field."""
        row = self.db.execute("SELECT id, object, name, metadata FROM custom_fields WHERE id = ?", (field_id,)).fetchone()
        return self._field_view(tuple(row)) if row else None

    def _field_view(self, row: tuple[Any, ...]) -> dict[str, Any]:
        field_id, obj, name, metadata = row
        custom = self.db.execute("SELECT id FROM custom_objects WHERE name = ?", (obj,)).fetchone()
        return {"Id": field_id, "DeveloperName": name[:-3], "TableEnumOrId": custom[0] if custom else obj,
                "FullName": f"{obj}.{name}", "NamespacePrefix": None, "Metadata": json.loads(metadata),
                "_object": obj, "_name": name}

    def tooling_fields(self) -> list[dict[str, Any]]:
        """Every custom field as Tooling CustomField rows."""
        rows = self.db.execute("SELECT id, object, name, metadata FROM custom_fields ORDER BY rowid").fetchall()
        return [self._field_view(tuple(r)) for r in rows]

    def delete_field(self, field_id: str) -> tuple[str, str]:
        """DELETE /tooling/sobjects/CustomField/<id>: the field, its values and its permissions go."""
        row = self.field_row(field_id)
        if row is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        self.db.execute("DELETE FROM custom_fields WHERE id = ?", (field_id,))
        self.db.execute("UPDATE records SET data = json_remove(data, ?) WHERE object = ?",
                        (f'$."{row["_name"]}"', row["_object"]))
        self.db.execute("DELETE FROM records WHERE object = 'FieldPermissions' AND lower(json_extract(data, '$.Field')) "
                        "= ?", (f"{row['_object']}.{row['_name']}".lower(),))
        self.db.execute("DELETE FROM keys WHERE object = ? AND field = ?", (row["_object"], row["_name"]))
        self.invalidate()
        return row["_object"], row["_name"]

    def create_object(self, full_name: str, metadata: dict[str, Any]) -> str:
        """POST /tooling/sobjects/CustomObject (emulator stand-in for SOAP createMetadata): the new 01I id."""
        if not full_name.endswith("__c") or "__" in full_name[:-3] or not full_name[:1].isalpha():
            raise SalesforceError("INVALID_FIELD", f"Invalid custom object name: {full_name}", ["FullName"])
        if self.find(full_name) is not None:
            raise SalesforceError("DUPLICATE_DEVELOPER_NAME",
                                  f"There is already an object named {full_name[:-3]}.", ["FullName"])
        limit = EDITIONS[self.edition][1]
        count = self.db.execute("SELECT COUNT(*) FROM custom_objects").fetchone()[0]
        if count >= limit:
            raise SalesforceError("LIMIT_EXCEEDED", f"You have reached the maximum number of custom objects ({limit}) "
                                                    "for this edition.", ["FullName"])
        label = str(metadata.get("label") or "")
        if not label:
            raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Label]", ["Label"])
        name_field = metadata.get("nameField") or {}
        object_id = self.mint.new("01I")
        prefix = "a" + self.mint.base62(count + 10, 2)
        self.db.execute("INSERT INTO custom_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (object_id, full_name, label, str(metadata.get("pluralLabel") or label + "s"), prefix,
                         str(name_field.get("type") or "Text"), str(name_field.get("label") or f"{label} Name"),
                         json.dumps(metadata)))
        self.invalidate()
        return object_id

    def tooling_objects(self) -> list[dict[str, Any]]:
        """Every custom object as Tooling CustomObject rows."""
        rows = self.db.execute("SELECT id, name, label, metadata FROM custom_objects ORDER BY rowid").fetchall()
        return [{"Id": r[0], "DeveloperName": r[1][:-3], "FullName": r[1], "NamespacePrefix": None,
                 "Metadata": json.loads(r[3])} for r in rows]

    def delete_object(self, object_id: str) -> str:
        """DELETE /tooling/sobjects/CustomObject/<id>: the object, its fields and records go."""
        row = self.db.execute("SELECT name FROM custom_objects WHERE id = ?", (object_id,)).fetchone()
        if row is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        name = row[0]
        for field_row in self.db.execute("SELECT id FROM custom_fields WHERE object = ?", (name,)).fetchall():
            self.delete_field(field_row[0])
        self.db.execute("DELETE FROM custom_objects WHERE id = ?", (object_id,))
        self.db.execute("DELETE FROM records WHERE object = ?", (name,))
        self.db.execute("DELETE FROM records WHERE object = 'ObjectPermissions' AND json_extract(data, '$.SobjectType') "
                        "= ?", (name,))
        self.db.execute("DELETE FROM keys WHERE object = ?", (name,))
        self.invalidate()
        return str(name)
