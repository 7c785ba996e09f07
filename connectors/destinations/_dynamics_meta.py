"""Dataverse metadata for the connector: the GETs that describe a table, its Entity, and schema-change bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.destinations._dynamics_wire import CHOICE_TYPES, LOOKUP_TYPES, Answer
from mapper.schema import Entity, Field, FieldType, SchemaChange

STANDARD_TABLES = ("contact", "account", "opportunity", "appointment", "task", "annotation", "systemuser")
TABLE_SELECT = "LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,IsCustomEntity,DisplayName"
# Columns the server fills when they are left out, though their RequiredLevel says SystemRequired.
DEFAULTED = frozenset({"ownerid", "owningbusinessunit", "statecode", "statuscode", "transactioncurrencyid"})
SKIPPED_TYPES = frozenset({"Virtual", "EntityName", "PartyList", "ManagedProperty", "CalendarRules"})
TYPES: dict[str, FieldType] = {
    "String": "string", "Memo": "text", "Integer": "int", "BigInt": "int", "Decimal": "decimal", "Double": "decimal",
    "Money": "money", "Boolean": "bool", "DateTime": "datetime", "Picklist": "enum", "State": "enum",
    "Status": "enum", "MultiSelectPicklist": "enum", "Lookup": "reference", "Customer": "reference",
    "Owner": "reference", "Uniqueidentifier": "string", "File": "file", "Image": "file",
}
_FORMATS: dict[str, FieldType] = {"Email": "email", "Phone": "phone", "Url": "url"}
# Normalised type -> (@odata.type, AttributeType) of a new custom column.
NEW_COLUMNS: dict[str, tuple[str, str]] = {
    "string": ("StringAttributeMetadata", "String"), "email": ("StringAttributeMetadata", "String"),
    "phone": ("StringAttributeMetadata", "String"), "url": ("StringAttributeMetadata", "String"),
    "text": ("MemoAttributeMetadata", "Memo"), "json": ("MemoAttributeMetadata", "Memo"),
    "file": ("MemoAttributeMetadata", "Memo"), "int": ("IntegerAttributeMetadata", "Integer"),
    "decimal": ("DecimalAttributeMetadata", "Decimal"), "money": ("MoneyAttributeMetadata", "Money"),
    "bool": ("BooleanAttributeMetadata", "Boolean"), "date": ("DateTimeAttributeMetadata", "DateTime"),
    "datetime": ("DateTimeAttributeMetadata", "DateTime"), "enum": ("PicklistAttributeMetadata", "Picklist"),
}


@dataclass
class Table:
    """What the connector knows about one table: columns with their type details, navigation names, keys."""

    name: str
    entity_set: str
    primary_id: str
    primary_name: str
    is_custom: bool
    label: str
    metadata_id: str
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    navs: dict[tuple[str, str], str] = field(default_factory=dict)
    relationships: dict[str, str] = field(default_factory=dict)  # lookup column -> relationship SchemaName
    keys: list[dict[str, Any]] = field(default_factory=list)

    def key_on(self, column: str) -> dict[str, Any] | None:
        """The alternate key made of this one column, if any."""
        return next((k for k in self.keys if k.get("KeyAttributes") == [column]), None)


def label_text(value: Any, default: str) -> str:
    """The user's label out of a Label complex value."""
    if isinstance(value, dict):
        user = value.get("UserLocalizedLabel") or {}
        if isinstance(user, dict) and user.get("Label"):
            return str(user["Label"])
        labels = value.get("LocalizedLabels") or []
        if labels and labels[0].get("Label"):
            return str(labels[0]["Label"])
    return default


def table_paths(name: str) -> list[str]:
    """The metadata GETs (sent in one $batch) that describe one table."""
    base = f"EntityDefinitions(LogicalName='{name}')"
    cast = f"{base}/Attributes/Microsoft.Dynamics.CRM."
    options = "?$select=LogicalName&$expand=OptionSet($select=Options)"
    return [
        f"{base}/Attributes?$select=LogicalName,SchemaName,AttributeType,RequiredLevel,IsValidForCreate,"
        "IsValidForUpdate,IsCustomAttribute,IsPrimaryId,AttributeOf,DisplayName,MetadataId",
        f"{cast}StringAttributeMetadata?$select=LogicalName,MaxLength,FormatName",
        f"{cast}MemoAttributeMetadata?$select=LogicalName,MaxLength",
        f"{cast}DateTimeAttributeMetadata?$select=LogicalName,Format",
        f"{cast}PicklistAttributeMetadata{options},GlobalOptionSet($select=Options)",
        f"{cast}StateAttributeMetadata{options}",
        f"{cast}StatusAttributeMetadata{options}",
        f"{cast}LookupAttributeMetadata?$select=LogicalName,Targets",
        f"{base}/ManyToOneRelationships?$select=SchemaName,ReferencingAttribute,ReferencedEntity,"
        "ReferencingEntityNavigationPropertyName",
        f"{base}/Keys?$select=SchemaName,LogicalName,KeyAttributes,EntityKeyIndexStatus,MetadataId",
    ]


def _values(answer: Answer) -> list[dict[str, Any]]:
    return list(answer.body.get("value", [])) if isinstance(answer.body, dict) else []


def build_table(row: dict[str, Any], answers: list[Answer]) -> Table:
    """A Table from its EntityDefinitions row and the answers to table_paths()."""
    table = Table(row["LogicalName"], row["EntitySetName"], row["PrimaryIdAttribute"],
                  row.get("PrimaryNameAttribute") or "", bool(row.get("IsCustomEntity")),
                  label_text(row.get("DisplayName"), row["LogicalName"]), str(row.get("MetadataId") or ""))
    attrs, strings, memos, dates, picklists, states, statuses, lookups, navs, keys = (_values(a) for a in answers)
    for a in attrs:
        if a.get("AttributeOf") or a.get("AttributeType") in SKIPPED_TYPES:
            continue
        table.columns[a["LogicalName"]] = {**a, "RequiredLevel": (a.get("RequiredLevel") or {}).get("Value", "None"),
                                           "Options": {}, "Targets": [], "Format": "", "MaxLength": None}
    for a in strings + memos:
        if a["LogicalName"] in table.columns:
            fmt = (a.get("FormatName") or {}).get("Value", "")
            table.columns[a["LogicalName"]].update(MaxLength=a.get("MaxLength"), Format=fmt)
    for a in dates:
        if a["LogicalName"] in table.columns:
            table.columns[a["LogicalName"]]["Format"] = a.get("Format") or ""
    for a in picklists + states + statuses:
        if a["LogicalName"] in table.columns:
            option_set = a.get("OptionSet") or a.get("GlobalOptionSet") or {}
            table.columns[a["LogicalName"]]["Options"] = {
                int(o["Value"]): label_text(o.get("Label"), str(o["Value"])) for o in option_set.get("Options") or []}
    for a in lookups:
        if a["LogicalName"] in table.columns:
            table.columns[a["LogicalName"]]["Targets"] = list(a.get("Targets") or [])
    for r in navs:
        table.navs[(r["ReferencingAttribute"], r["ReferencedEntity"])] = r["ReferencingEntityNavigationPropertyName"]
        table.relationships.setdefault(r["ReferencingAttribute"], r.get("SchemaName") or "")
    table.keys = keys
    return table


def to_entity(table: Table) -> Entity:
    """The mapper's view: enum values are option labels, a lookup references its first target.

    `required` covers SystemRequired and ApplicationRequired columns a create must fill (not those the server
    defaults). Dataverse enforces only SystemRequired; ApplicationRequired is a form rule the API does not check.
    """
    active = {k["KeyAttributes"][0] for k in table.keys
              if len(k.get("KeyAttributes") or []) == 1 and k.get("EntityKeyIndexStatus") == "Active"}
    fields = []
    for name in sorted(table.columns):
        c = table.columns[name]
        kind = c["AttributeType"]
        ftype = TYPES.get(kind, "string")
        if kind == "String":
            ftype = _FORMATS.get(c["Format"], "string")
        if kind == "DateTime" and c["Format"] == "DateOnly":
            ftype = "date"
        level = c["RequiredLevel"]
        required = (level in ("SystemRequired", "ApplicationRequired") and bool(c.get("IsValidForCreate"))
                    and name not in DEFAULTED and name != table.primary_id)
        note = "required by forms only: the API accepts it empty (ApplicationRequired)" \
            if level == "ApplicationRequired" else ""
        fields.append(Field(
            name=name, type=ftype, label=label_text(c.get("DisplayName"), name), description=note, required=required,
            max_length=c["MaxLength"] if kind == "String" or kind == "Memo" else None,
            enum_values=tuple(c["Options"].values()) if kind in CHOICE_TYPES else (),
            reference=(c["Targets"][0] if c["Targets"] else None) if kind in LOOKUP_TYPES else None,
            is_key=name == table.primary_id, is_custom=bool(c.get("IsCustomAttribute")),
            readonly=not (c.get("IsValidForCreate") or c.get("IsValidForUpdate")), unique=name in active,
            native_type=kind + (f":{c['Format']}" if c["Format"] else "")))
    return Entity(name=table.name, fields=tuple(fields), label=table.label, key=table.primary_id,
                  is_custom=table.is_custom)


def _label(text: str) -> dict[str, Any]:
    return {"@odata.type": "Microsoft.Dynamics.CRM.Label", "LocalizedLabels": [
        {"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033}]}


def column_body(change: SchemaChange) -> dict[str, Any]:
    """AttributeMetadata for a new custom column (SchemaName = the change's name, prefix included)."""
    odata_type, kind = NEW_COLUMNS.get(change.type, NEW_COLUMNS["string"])
    body: dict[str, Any] = {
        "@odata.type": f"Microsoft.Dynamics.CRM.{odata_type}", "SchemaName": change.name, "AttributeType": kind,
        "AttributeTypeName": {"Value": f"{kind}Type"}, "RequiredLevel": {"Value": "None"},
        "DisplayName": _label(change.label or change.name), "Description": _label(change.description or change.reason),
    }
    if kind == "String":
        body["MaxLength"] = change.max_length or 100
        body["FormatName"] = {"Value": {"email": "Email", "phone": "Phone", "url": "Url"}.get(change.type, "Text")}
    elif kind == "Memo":
        body["MaxLength"] = change.max_length or (1_048_576 if change.type in ("json", "file") else 4000)
        body["Format"] = "TextArea"
    elif kind == "DateTime":
        body["Format"] = "DateOnly" if change.type == "date" else "DateAndTime"
    elif kind == "Picklist":
        body["OptionSet"] = {"@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata", "IsGlobal": False,
                             "OptionSetType": "Picklist",
                             "Options": [{"Value": None, "Label": _label(v)} for v in change.enum_values]}
    elif kind == "Money":
        body["PrecisionSource"] = 2
    elif kind == "Decimal":
        body["Precision"] = 2
    return body


def lookup_body(change: SchemaChange, referenced: Table) -> dict[str, Any]:
    """OneToManyRelationshipMetadata creating a lookup column `change.name` on `change.entity`."""
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "SchemaName": f"{change.name}_{change.entity}_{referenced.name}"[:100],
        "ReferencedEntity": referenced.name, "ReferencedAttribute": referenced.primary_id,
        "ReferencingEntity": change.entity,
        "Lookup": {"@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", "AttributeType": "Lookup",
                   "AttributeTypeName": {"Value": "LookupType"}, "SchemaName": change.name,
                   "RequiredLevel": {"Value": "None"}, "DisplayName": _label(change.label or change.name)},
    }


def table_body(change: SchemaChange, prefix: str) -> dict[str, Any]:
    """EntityMetadata for a new custom table with its primary name column `<prefix>name`."""
    label = change.label or change.entity
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata", "SchemaName": change.entity,
        "DisplayName": _label(label), "DisplayCollectionName": _label(label),
        "Description": _label(change.description or change.reason), "OwnershipType": "UserOwned",
        "IsActivity": False, "HasNotes": True, "HasActivities": False,
        "Attributes": [{"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "IsPrimaryName": True,
                        "SchemaName": f"{prefix}name", "AttributeType": "String",
                        "AttributeTypeName": {"Value": "StringType"}, "MaxLength": 200,
                        "FormatName": {"Value": "Text"}, "RequiredLevel": {"Value": "None"},
                        "DisplayName": _label("Name")}],
    }
