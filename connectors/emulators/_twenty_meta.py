"""The metadata half of the Twenty emulator: objects and fields kept in SQLite, served in the REST shape."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Any

from connectors.emulators._twenty_schema import (
    COMPOSITES,
    FIELD_TYPES,
    UNIQUE_SUBFIELD,
    composite_default,
    stable_id,
    standard_objects,
    system_fields,
    target_links,
)
from connectors.emulators._twenty_values import ApiError, check_name

META_SQL = """
CREATE TABLE IF NOT EXISTS meta_objects (id TEXT PRIMARY KEY, seq INTEGER, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta_fields (id TEXT PRIMARY KEY, object_id TEXT NOT NULL, seq INTEGER, data TEXT NOT NULL);
"""


def meta_error(message: str) -> ApiError:
    """Metadata errors surface as 400 with error "Bad Request" (reference §1.3)."""
    return ApiError(400, message, "Bad Request")


def stored_key(field: dict[str, Any]) -> str | None:
    """The key a field has in a record at depth 0: its name, `<name>Id` for MANY_TO_ONE, None if not stored."""
    if field["type"] == "TS_VECTOR":
        return None
    if field["type"] == "RELATION":
        return f"{field['name']}Id" if field["relation"]["type"] == "MANY_TO_ONE" else None
    return field["name"]


def unique_column(field: dict[str, Any]) -> tuple[str, str]:
    """(dotted path, database column) a unique field is enforced on."""
    sub = UNIQUE_SUBFIELD.get(field["type"])
    if sub is None:
        return field["name"], field["name"]
    return f"{field['name']}.{sub}", field["name"] + sub[0].upper() + sub[1:]


def default_value(field: dict[str, Any]) -> Any:
    """What a record holds in a field nobody wrote."""
    ftype, default = field["type"], field["defaultValue"]
    if ftype in COMPOSITES:
        return composite_default(ftype)
    if isinstance(default, str) and default.startswith("'") and default.endswith("'"):
        return default[1:-1]
    if isinstance(default, bool):
        return default
    return None


class MetadataStore:
    """Objects and fields; `objects` (by nameSingular) is rebuilt from SQLite after every change."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(META_SQL)
        self.objects: dict[str, dict[str, Any]] = {}
        if self.db.execute("SELECT COUNT(*) FROM meta_objects").fetchone()[0] == 0:
            self._install_standard()
        self.reload()

    def _install_standard(self) -> None:
        for obj in standard_objects():
            fields = obj.pop("fields")
            self._insert_object({**obj, "isCustom": False}, system_fields() + fields, custom_fields=False)

    def _insert_object(self, obj: dict[str, Any], fields: list[dict[str, Any]], *, custom_fields: bool) -> str:
        oid = obj.get("id") or stable_id("object", obj["nameSingular"])
        row = {"id": oid, "isActive": True, "description": "", "icon": "IconBox", **obj}
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM meta_objects").fetchone()[0]
        self.db.execute("INSERT INTO meta_objects VALUES (?, ?, ?)", (oid, seq, json.dumps(row)))
        for spec in fields:
            self._insert_field(oid, obj["nameSingular"], spec, custom=custom_fields and spec["name"] not in _SYSTEM)
        return oid

    def _insert_field(self, object_id: str, singular: str, spec: dict[str, Any], *, custom: bool) -> dict[str, Any]:
        fid = stable_id("field", singular, spec["name"]) if not custom else str(uuid.uuid4())
        row = {"id": fid, "objectId": object_id, "description": "", "icon": None, "isActive": True,
               "isCustom": custom, "isUnique": False, "isSystem": False, "options": None, **spec}
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM meta_fields").fetchone()[0]
        self.db.execute("INSERT INTO meta_fields VALUES (?, ?, ?, ?)", (fid, object_id, seq, json.dumps(row)))
        return row

    def reload(self) -> None:
        """Rebuild the in-memory view after a metadata change."""
        objects: dict[str, dict[str, Any]] = {}
        by_id: dict[str, dict[str, Any]] = {}
        for (data,) in self.db.execute("SELECT data FROM meta_objects ORDER BY seq"):
            obj = json.loads(data)
            obj["fields"] = []
            objects[obj["nameSingular"]] = obj
            by_id[obj["id"]] = obj
        for object_id, data in self.db.execute("SELECT object_id, data FROM meta_fields ORDER BY seq"):
            by_id[object_id]["fields"].append(json.loads(data))
        self.objects = objects
        self.plurals = {o["namePlural"]: o for o in objects.values() if o["isActive"]}

    # --- lookups -------------------------------------------------------------------------

    def object_by_id(self, object_id: str) -> dict[str, Any]:
        """The object with this id, or the metadata 400."""
        for obj in self.objects.values():
            if obj["id"] == object_id:
                return obj
        raise meta_error("Object does not exist")

    def field_by_id(self, field_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(object, field) for a field id, or the metadata 400."""
        for obj in self.objects.values():
            for field in obj["fields"]:
                if field["id"] == field_id:
                    return obj, field
        raise meta_error("Field does not exist")

    @staticmethod
    def active_fields(obj: dict[str, Any]) -> list[dict[str, Any]]:
        """The object's active fields in metadata order."""
        return [f for f in obj["fields"] if f["isActive"]]

    # --- REST shapes ---------------------------------------------------------------------

    def field_out(self, obj: dict[str, Any], field: dict[str, Any]) -> dict[str, Any]:
        """A field as GET /rest/metadata/fields reports it."""
        out = {k: v for k, v in field.items() if k not in ("relation", "objectId")}
        out["objectMetadataId"] = obj["id"]
        out["settings"] = None
        out["relation"] = None
        rel = field.get("relation")
        if rel:
            target = self.objects[rel["target"]]
            inverse = next((f for f in target["fields"] if f["name"] == rel["inverse"]), None)
            ref = lambda o: {"id": o["id"], "nameSingular": o["nameSingular"], "namePlural": o["namePlural"]}  # noqa: E731
            out["relation"] = {
                "type": rel["type"],
                "sourceObjectMetadata": ref(obj), "targetObjectMetadata": ref(target),
                "sourceFieldMetadata": {"id": field["id"], "name": field["name"]},
                "targetFieldMetadata": {"id": inverse["id"], "name": inverse["name"]} if inverse else None,
            }
            out["settings"] = {"relationType": rel["type"]}
            if rel["type"] == "MANY_TO_ONE":
                out["settings"].update({"onDelete": rel["onDelete"], "joinColumnName": f"{field['name']}Id"})
        return out

    def object_out(self, obj: dict[str, Any]) -> dict[str, Any]:
        """An object as GET /rest/metadata/objects reports it."""
        label = next((f["id"] for f in obj["fields"] if f["name"] == obj.get("labelIdentifier")), None)
        out = {k: v for k, v in obj.items() if k not in ("fields", "labelIdentifier")}
        out["labelIdentifierFieldMetadataId"] = label
        out["fields"] = [self.field_out(obj, f) for f in obj["fields"]]
        return out

    # --- changes -------------------------------------------------------------------------

    def create_object(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /rest/metadata/objects: a custom object with Twenty's default fields and target links."""
        singular = check_name(body.get("nameSingular"), "Object")
        plural = check_name(body.get("namePlural"), "Object")
        if singular == plural:
            raise meta_error("The singular and plural name cannot be the same for an object")
        taken = {o["nameSingular"] for o in self.objects.values()} | {o["namePlural"] for o in self.objects.values()}
        if singular in taken or plural in taken:
            raise meta_error("Object already exists")
        label = str(body.get("labelSingular") or singular)
        obj = {"nameSingular": singular, "namePlural": plural, "labelSingular": label,
               "labelPlural": str(body.get("labelPlural") or plural), "description": str(body.get("description") or ""),
               "icon": body.get("icon") or "IconBox", "isSystem": False, "isCustom": True, "labelIdentifier": "name"}
        name_field = {"name": "name", "type": "TEXT", "label": "Name", "isNullable": False, "defaultValue": "'Untitled'",
                      "isSystem": False, "isUnique": False, "options": None}
        inverse = [
            {"name": plural_name, "type": "RELATION", "label": lbl, "isNullable": True, "defaultValue": None,
             "isSystem": False, "isUnique": False, "options": None,
             "relation": {"target": owner, "type": "ONE_TO_MANY", "onDelete": None, "inverse": singular}}
            for plural_name, lbl, owner in (("noteTargets", "Notes", "noteTarget"), ("taskTargets", "Tasks", "taskTarget"),
                                            ("attachments", "Attachments", "attachment"))
        ]
        oid = self._insert_object(obj, system_fields() + [name_field] + inverse, custom_fields=True)
        for owner, spec in target_links(singular, label):
            self._insert_field(self.objects[owner]["id"], owner, spec, custom=True)
        self.reload()
        return self.objects[singular]

    def create_field(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """POST /rest/metadata/fields; returns (object, field). RELATION also adds the inverse side."""
        obj = self.object_by_id(str(body.get("objectMetadataId")))
        name = check_name(body.get("name"), "Field")
        ftype = body.get("type")
        if ftype not in FIELD_TYPES or ftype in ("TS_VECTOR", "POSITION", "ACTOR", "RICH_TEXT"):
            raise meta_error(f"Invalid field type {ftype}")
        if any(f["name"] == name for f in obj["fields"]):
            raise meta_error("Field already exists")
        options = body.get("options")
        if ftype in ("SELECT", "MULTI_SELECT"):
            options = _check_options(options)
        spec: dict[str, Any] = {
            "name": name, "type": ftype, "label": str(body.get("label") or name),
            "description": str(body.get("description") or ""), "icon": body.get("icon"),
            "isNullable": bool(body.get("isNullable", True)), "isUnique": bool(body.get("isUnique", False)),
            "defaultValue": body.get("defaultValue"), "options": options, "isSystem": False,
        }
        if ftype == "TEXT" and spec["defaultValue"] is None and not spec["isNullable"]:
            spec["defaultValue"] = "''"
        if ftype == "RELATION":
            payload = body.get("relationCreationPayload") or {}
            target = self.object_by_id(str(payload.get("targetObjectMetadataId")))
            kind = payload.get("type")
            if kind not in ("MANY_TO_ONE", "ONE_TO_MANY"):
                raise meta_error("Relation type must be MANY_TO_ONE or ONE_TO_MANY")
            inverse_name = _camel(str(payload.get("targetFieldLabel") or obj["namePlural"]))
            if any(f["name"] == inverse_name for f in target["fields"]):
                raise meta_error("Field already exists")
            other = "ONE_TO_MANY" if kind == "MANY_TO_ONE" else "MANY_TO_ONE"
            spec["relation"] = {"target": target["nameSingular"], "type": kind,
                                "onDelete": "SET_NULL" if kind == "MANY_TO_ONE" else None, "inverse": inverse_name}
            mirror = {"name": inverse_name, "type": "RELATION", "label": str(payload.get("targetFieldLabel") or inverse_name),
                      "isNullable": True, "defaultValue": None, "isSystem": False, "isUnique": False, "options": None,
                      "relation": {"target": obj["nameSingular"], "type": other,
                                   "onDelete": "SET_NULL" if other == "MANY_TO_ONE" else None, "inverse": name}}
            self._insert_field(target["id"], target["nameSingular"], mirror, custom=True)
        field = self._insert_field(obj["id"], obj["nameSingular"], spec, custom=True)
        self.reload()
        return self.objects[obj["nameSingular"]], field

    def update_field(self, field_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """PATCH /rest/metadata/fields/{id}: isActive, label, description, icon, options, isUnique."""
        obj, field = self.field_by_id(field_id)
        updated = dict(field)
        for key in ("isActive", "label", "description", "icon", "isUnique", "defaultValue"):
            if key in body:
                updated[key] = body[key]
        if "options" in body:
            updated["options"] = _check_options(body["options"])
        if field["isSystem"] and "isActive" in body:
            raise meta_error("Cannot deactivate system fields")
        self.db.execute("UPDATE meta_fields SET data = ? WHERE id = ?", (json.dumps(updated), field_id))
        self.reload()
        return self.objects[obj["nameSingular"]], updated

    def delete_field(self, field_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """DELETE /rest/metadata/fields/{id}: only custom, inactive fields."""
        obj, field = self.field_by_id(field_id)
        if not field["isCustom"]:
            raise meta_error("Standard fields cannot be deleted")
        if field["isActive"]:
            raise meta_error("Active fields cannot be deleted")
        self.db.execute("DELETE FROM meta_fields WHERE id = ?", (field_id,))
        self.reload()
        return obj, field

    def update_object(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /rest/metadata/objects/{id}: isActive, labels, description, icon."""
        obj = self.object_by_id(object_id)
        row = {k: v for k, v in obj.items() if k != "fields"}
        for key in ("isActive", "labelSingular", "labelPlural", "description", "icon"):
            if key in body:
                row[key] = body[key]
        if not obj["isCustom"] and "isActive" in body:
            raise meta_error("Standard objects cannot be deactivated")
        self.db.execute("UPDATE meta_objects SET data = ? WHERE id = ?", (json.dumps(row), object_id))
        self.reload()
        return self.objects[obj["nameSingular"]]

    def delete_object(self, object_id: str) -> dict[str, Any]:
        """DELETE /rest/metadata/objects/{id}: a custom object, with its fields and the links to it."""
        obj = self.object_by_id(object_id)
        if not obj["isCustom"]:
            raise meta_error("Standard objects cannot be deleted")
        self.db.execute("DELETE FROM meta_objects WHERE id = ?", (object_id,))
        self.db.execute("DELETE FROM meta_fields WHERE object_id = ?", (object_id,))
        for other in self.objects.values():
            for field in other["fields"]:
                if (field.get("relation") or {}).get("target") == obj["nameSingular"]:
                    self.db.execute("DELETE FROM meta_fields WHERE id = ?", (field["id"],))
        self.reload()
        return obj


_SYSTEM = frozenset(f["name"] for f in system_fields())
_ENUM_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _check_options(options: Any) -> list[dict[str, Any]]:
    if not isinstance(options, list) or not options:
        raise meta_error("Options are required for select fields")
    out = []
    for i, option in enumerate(options):
        value = option.get("value") if isinstance(option, dict) else None
        if not isinstance(value, str) or not _ENUM_NAME.match(value):
            raise meta_error("Option value must be a valid GraphQL enum name (e.g. IN_PROGRESS)")
        out.append({"id": option.get("id") or str(uuid.uuid4()), "value": value,
                    "label": str(option.get("label") or value), "position": option.get("position", i),
                    "color": option.get("color") or "gray"})
    return out


def _camel(label: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", label) or ["relation"]
    return words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
