"""Dataverse emulator metadata: seeded tables and columns, custom ones, alternate keys (reference §3.2-3.3)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

DEFAULT_PREFIX = "bw_"
LANGUAGE = 1033

# AttributeType -> (@odata.type suffix, AttributeTypeName)
TYPE_META = {
    "String": ("StringAttributeMetadata", "StringType"),
    "Memo": ("MemoAttributeMetadata", "MemoType"),
    "Integer": ("IntegerAttributeMetadata", "IntegerType"),
    "BigInt": ("BigIntAttributeMetadata", "BigIntType"),
    "Decimal": ("DecimalAttributeMetadata", "DecimalType"),
    "Double": ("DoubleAttributeMetadata", "DoubleType"),
    "Money": ("MoneyAttributeMetadata", "MoneyType"),
    "Boolean": ("BooleanAttributeMetadata", "BooleanType"),
    "DateTime": ("DateTimeAttributeMetadata", "DateTimeType"),
    "Picklist": ("PicklistAttributeMetadata", "PicklistType"),
    "State": ("StateAttributeMetadata", "StateType"),
    "Status": ("StatusAttributeMetadata", "StatusType"),
    "Lookup": ("LookupAttributeMetadata", "LookupType"),
    "Customer": ("LookupAttributeMetadata", "CustomerType"),
    "Owner": ("LookupAttributeMetadata", "OwnerType"),
    "Uniqueidentifier": ("UniqueIdentifierAttributeMetadata", "UniqueidentifierType"),
}
CAST_TYPES = {meta for meta, _ in TYPE_META.values()}
LOOKUP_TYPES = ("Lookup", "Customer", "Owner")
CHOICE_TYPES = ("Picklist", "State", "Status")
KEY_STATUS = ("Pending", "InProgress", "Active", "Failed")


def label(text: str) -> dict[str, Any]:
    """A Label complex value in the user's language."""
    one = {"Label": text, "LanguageCode": LANGUAGE}
    return {"LocalizedLabels": [one], "UserLocalizedLabel": one}


def label_text(value: Any, default: str) -> str:
    """The text of a Label complex value (first localized label), else `default`."""
    if isinstance(value, dict):
        labels = value.get("LocalizedLabels") or []
        if labels and isinstance(labels[0], dict) and labels[0].get("Label"):
            return str(labels[0]["Label"])
    return default


def col(name: str, kind: str = "String", *, max_length: int | None = None, required: str = "None",
        options: tuple[tuple[int, str], ...] = (), targets: tuple[str, ...] = (), fmt: str = "",
        create: bool = True, update: bool = True, custom: bool = False, schema_name: str = "",
        primary_name: bool = False, primary_id: bool = False) -> dict[str, Any]:
    """One column definition as the emulator stores it."""
    if kind in ("String", "Memo") and max_length is None:
        max_length = 100 if kind == "String" else 2000
    return {"LogicalName": name, "SchemaName": schema_name or name, "AttributeType": kind, "MaxLength": max_length,
            "RequiredLevel": required, "Options": [list(o) for o in options], "Targets": list(targets), "Format": fmt,
            "IsValidForCreate": create, "IsValidForUpdate": update, "IsCustomAttribute": custom,
            "IsPrimaryName": primary_name, "IsPrimaryId": primary_id, "MetadataId": str(uuid.uuid4())}


_STATE = ((0, "Active"), (1, "Inactive"))
_STATUS = ((1, "Active"), (2, "Inactive"))
_ACTIVITY_STATE = ((0, "Open"), (1, "Completed"), (2, "Canceled"), (3, "Scheduled"))
_ACTIVITY_STATUS = ((1, "Open"), (2, "Not Started"), (3, "In Progress"), (5, "Completed"), (6, "Canceled"))
_ADDRESS = [col("address1_line1", max_length=250), col("address1_line2", max_length=250),
            col("address1_city", max_length=80), col("address1_stateorprovince", max_length=50),
            col("address1_postalcode", max_length=20), col("address1_country", max_length=80),
            col("address1_line3", max_length=250), col("address1_county", max_length=50)]
_REGARDING = ("contact", "account", "opportunity")


def _system(entity: str, primary_id: str, state: tuple[tuple[int, str], ...] | None = _STATE,
            status: tuple[tuple[int, str], ...] | None = _STATUS, owned: bool = True) -> list[dict[str, Any]]:
    cols = [col(primary_id, "Uniqueidentifier", required="SystemRequired", update=False, primary_id=True),
            col("createdon", "DateTime", create=False, update=False),
            col("modifiedon", "DateTime", create=False, update=False),
            col("overriddencreatedon", "DateTime", update=False),
            col("versionnumber", "BigInt", create=False, update=False),
            col("createdby", "Lookup", targets=("systemuser",), create=False, update=False),
            col("modifiedby", "Lookup", targets=("systemuser",), create=False, update=False)]
    if owned:
        cols.append(col("ownerid", "Owner", required="SystemRequired", targets=("systemuser",)))
    if state:
        cols.append(col("statecode", "State", required="SystemRequired", options=state))
    if status:
        cols.append(col("statuscode", "Status", options=status))
    return cols


def _table(name: str, entity_set: str, primary_id: str, primary_name: str, columns: list[dict[str, Any]],
           system: list[dict[str, Any]], *, display: str, activity: bool = False, custom: bool = False,
           schema_name: str = "") -> dict[str, Any]:
    for c in columns:
        c["IsPrimaryName"] = c["LogicalName"] == primary_name
    return {"LogicalName": name, "SchemaName": schema_name or name.capitalize(), "EntitySetName": entity_set,
            "PrimaryIdAttribute": primary_id, "PrimaryNameAttribute": primary_name, "IsCustomEntity": custom,
            "IsActivity": activity, "DisplayName": display, "MetadataId": str(uuid.uuid4()),
            "OwnershipType": "UserOwned", "Attributes": system + columns, "Keys": []}


def seed_tables() -> list[dict[str, Any]]:
    """The standard tables bridgework maps onto, with the columns the dental mappings use."""
    gender = ((1, "Male"), (2, "Female"))
    marital = ((1, "Single"), (2, "Married"), (3, "Divorced"), (4, "Widowed"))
    method = ((1, "Any"), (2, "Email"), (3, "Phone"), (4, "Fax"), (5, "Mail"))
    priority = ((0, "Low"), (1, "Normal"), (2, "High"))
    return [
        _table("contact", "contacts", "contactid", "fullname", [
            col("fullname", max_length=160, create=False, update=False), col("firstname", max_length=50),
            col("middlename", max_length=50), col("lastname", max_length=50, required="ApplicationRequired"),
            col("salutation", max_length=100), col("nickname", max_length=100), col("jobtitle", max_length=100),
            col("emailaddress1", fmt="Email"), col("emailaddress2", fmt="Email"),
            col("telephone1", max_length=50, fmt="Phone"), col("telephone2", max_length=50, fmt="Phone"),
            col("mobilephone", max_length=50, fmt="Phone"), *[dict(c) for c in _ADDRESS],
            col("emailaddress3", fmt="Email"), col("telephone3", max_length=50, fmt="Phone"),
            col("fax", max_length=50, fmt="Phone"), col("pager", max_length=50, fmt="Phone"),
            col("address1_telephone1", max_length=50, fmt="Phone"), col("address2_line1", max_length=250),
            col("address2_city", max_length=80), col("address2_stateorprovince", max_length=50),
            col("address2_postalcode", max_length=20), col("address2_country", max_length=80),
            col("suffix", max_length=10), col("spousesname", max_length=100), col("governmentid", max_length=50),
            col("employeeid", max_length=50), col("donotbulkemail", "Boolean"), col("donotphone", "Boolean"),
            col("donotpostalmail", "Boolean"),
            col("birthdate", "DateTime", fmt="DateOnly"), col("gendercode", "Picklist", options=gender),
            col("familystatuscode", "Picklist", options=marital),
            col("preferredcontactmethodcode", "Picklist", options=method), col("donotemail", "Boolean"),
            col("numberofchildren", "Integer"), col("creditlimit", "Money"), col("description", "Memo"),
            col("parentcustomerid", "Customer", targets=("account", "contact")),
            col("preferredsystemuserid", "Lookup", targets=("systemuser",)),
        ], _system("contact", "contactid"), display="Contact"),
        _table("account", "accounts", "accountid", "name", [
            col("name", max_length=160, required="ApplicationRequired"), col("accountnumber", max_length=20),
            col("emailaddress1", fmt="Email"), col("telephone1", max_length=50, fmt="Phone"),
            col("websiteurl", max_length=200, fmt="Url"), *[dict(c) for c in _ADDRESS],
            col("fax", max_length=50, fmt="Phone"), col("customertypecode", "Picklist", options=(
                (1, "Competitor"), (2, "Consultant"), (3, "Customer"), (4, "Investor"), (5, "Partner"),
                (6, "Influencer"), (7, "Press"), (8, "Prospect"), (9, "Reseller"), (10, "Supplier"), (11, "Vendor"),
                (12, "Other"))),
            col("numberofemployees", "Integer"), col("revenue", "Money"), col("description", "Memo"),
            col("primarycontactid", "Lookup", targets=("contact",)),
            col("parentaccountid", "Lookup", targets=("account",)),
        ], _system("account", "accountid"), display="Account"),
        _table("opportunity", "opportunities", "opportunityid", "name", [
            col("name", max_length=300, required="ApplicationRequired"), col("description", "Memo"),
            col("estimatedvalue", "Money"), col("estimatedclosedate", "DateTime", fmt="DateOnly"),
            col("closeprobability", "Integer"), col("stepname", max_length=200),
            col("actualvalue", "Money"), col("actualclosedate", "DateTime", fmt="DateOnly"),
            col("salesstage", "Picklist", options=((0, "Qualify"), (1, "Develop"), (2, "Propose"), (3, "Close"))),
            col("customerid", "Customer", targets=("account", "contact")),
            col("parentcontactid", "Lookup", targets=("contact",)),
            col("parentaccountid", "Lookup", targets=("account",)),
        ], _system("opportunity", "opportunityid", ((0, "Open"), (1, "Won"), (2, "Lost")),
                   ((1, "In Progress"), (3, "Won"), (4, "Canceled"))), display="Opportunity"),
        _table("appointment", "appointments", "activityid", "subject", [
            col("subject", max_length=200), col("description", "Memo"), col("location", max_length=200),
            col("scheduledstart", "DateTime"), col("scheduledend", "DateTime"),
            col("actualstart", "DateTime"), col("actualend", "DateTime"), col("category", max_length=250),
            col("scheduleddurationminutes", "Integer"), col("isalldayevent", "Boolean"),
            col("prioritycode", "Picklist", options=priority),
            col("regardingobjectid", "Lookup", targets=_REGARDING),
        ], _system("appointment", "activityid", _ACTIVITY_STATE, _ACTIVITY_STATUS), display="Appointment",
            activity=True),
        _table("task", "tasks", "activityid", "subject", [
            col("subject", max_length=200), col("description", "Memo"), col("scheduledend", "DateTime"),
            col("scheduledstart", "DateTime"), col("actualend", "DateTime"), col("category", max_length=250),
            col("percentcomplete", "Integer"),
            col("prioritycode", "Picklist", options=priority),
            col("regardingobjectid", "Lookup", targets=_REGARDING),
        ], _system("task", "activityid", _ACTIVITY_STATE, _ACTIVITY_STATUS), display="Task", activity=True),
        _table("annotation", "annotations", "annotationid", "subject", [
            col("subject", max_length=500), col("notetext", "Memo", max_length=100000),
            col("filename", max_length=255), col("mimetype", max_length=256), col("isdocument", "Boolean"),
            col("filesize", "Integer", create=False, update=False),
            col("documentbody", "Memo", max_length=1073741823),
            col("objectid", "Lookup", targets=("contact", "account", "opportunity", "appointment", "task")),
        ], _system("annotation", "annotationid", None, None), display="Note"),
        _table("systemuser", "systemusers", "systemuserid", "fullname", [
            col("fullname", max_length=200, create=False, update=False), col("firstname", max_length=64),
            col("lastname", max_length=64, required="ApplicationRequired"),
            col("internalemailaddress", fmt="Email"), col("domainname", max_length=1024),
            col("title", max_length=128), col("jobtitle", max_length=100), col("employeeid", max_length=100),
            col("mobilephone", max_length=64, fmt="Phone"), col("address1_telephone1", max_length=64, fmt="Phone"),
            col("isdisabled", "Boolean", create=False, update=False),
        ], _system("systemuser", "systemuserid", None, None, owned=False), display="User"),
    ]


def nav_name(entity: dict[str, Any], attribute: dict[str, Any], target: str) -> str:
    """The single-valued navigation property `@odata.bind` uses for one lookup target (§3.4)."""
    if len(attribute["Targets"]) == 1:
        # custom lookups navigate by SchemaName (bw_PlanId), system ones by logical name
        return str(attribute["SchemaName"] if attribute["IsCustomAttribute"] else attribute["LogicalName"])
    if entity.get("IsActivity") and attribute["LogicalName"] == "regardingobjectid":
        return f"regardingobjectid_{target}_{entity['LogicalName']}"
    return f"{attribute['LogicalName']}_{target}"


class MetaError(Exception):
    """A metadata request the server refuses; becomes a Dataverse error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class MetadataStore:
    """Table definitions kept as one JSON document per table in SQLite."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float], prefix: str = DEFAULT_PREFIX) -> None:
        self.db = db
        self.clock = clock
        self.prefix = prefix.lower()
        db.execute("CREATE TABLE IF NOT EXISTS metadata (entity TEXT PRIMARY KEY, body TEXT NOT NULL)")
        rows = db.execute("SELECT body FROM metadata").fetchall()
        self.tables: dict[str, dict[str, Any]] = {}
        if rows:
            for (body,) in rows:
                table = json.loads(body)
                self.tables[table["LogicalName"]] = table
        else:
            for table in seed_tables():
                self.save(table)
        self._index()

    def _index(self) -> None:
        self.sets = {t["EntitySetName"]: t for t in self.tables.values()}
        self.columns = {name: {c["LogicalName"]: c for c in t["Attributes"]} for name, t in self.tables.items()}
        self.navs: dict[str, dict[str, tuple[str, str]]] = {}
        for name, t in self.tables.items():
            self.navs[name] = {nav_name(t, c, target): (c["LogicalName"], target)
                               for c in t["Attributes"] if c["AttributeType"] in LOOKUP_TYPES for target in c["Targets"]}

    def save(self, table: dict[str, Any]) -> None:
        """Store one table definition (the caller commits)."""
        self.tables[table["LogicalName"]] = table
        self.db.execute("INSERT OR REPLACE INTO metadata VALUES (?, ?)", (table["LogicalName"], json.dumps(table)))
        self._index()

    def table(self, key: str) -> dict[str, Any]:
        """A table by LogicalName or MetadataId; 404 when unknown."""
        found = self.tables.get(key) or next((t for t in self.tables.values() if t["MetadataId"] == key), None)
        if found is None:
            raise MetaError(404, "0x80060888", f"Could not find entity with LogicalName = {key}.")
        return found

    def by_set(self, entity_set: str) -> dict[str, Any] | None:
        """The table whose EntitySetName is `entity_set`."""
        return self.sets.get(entity_set)

    # --- creating ---------------------------------------------------------------------------

    def _check_schema_name(self, schema_name: Any, longest: int = 50) -> str:
        if not isinstance(schema_name, str) or not re.fullmatch(rf"[A-Za-z][A-Za-z0-9_]{{0,{longest - 1}}}", schema_name):
            raise MetaError(400, "0x80044363", f"Invalid schema name: it must start with a letter, hold only "
                                               f"letters, digits and underscores, and be at most {longest} long.")
        if not schema_name.lower().startswith(self.prefix):
            # A: wording unconfirmed; the real check is against the prefix of the solution's publisher
            raise MetaError(400, "0x80048403", f"The schema name {schema_name} is not in the valid customization "
                                               f"prefixes list (publisher prefix '{self.prefix}').")
        return schema_name

    def attribute_from_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """A custom column definition from an AttributeMetadata POST body."""
        schema_name = self._check_schema_name(body.get("SchemaName"))
        odata_type = str(body.get("@odata.type", "")).rsplit(".", 1)[-1]
        kind = str(body.get("AttributeType") or next((k for k, (m, _) in TYPE_META.items() if m == odata_type), ""))
        if kind not in TYPE_META or kind in ("Customer", "Owner", "Uniqueidentifier", "State", "Status"):
            raise MetaError(400, "0x80044355", f"Attribute type '{kind or odata_type}' cannot be created this way.")
        if kind == "Lookup":
            raise MetaError(400, "0x80044355", "Lookup columns are created with a OneToManyRelationship "
                                               "(POST RelationshipDefinitions).")
        required = (body.get("RequiredLevel") or {}).get("Value", "None")
        if required not in ("None", "ApplicationRequired", "Recommended"):
            raise MetaError(400, "0x80044355", f"RequiredLevel '{required}' cannot be set on a custom column.")
        options: list[tuple[int, str]] = []
        if kind == "Picklist":
            raw = ((body.get("OptionSet") or {}).get("Options")) or []
            for n, option in enumerate(raw):
                value = option.get("Value")
                options.append((int(value) if value is not None else 100_000_000 + n,
                                label_text(option.get("Label"), str(value))))
        fmt = str((body.get("FormatName") or {}).get("Value", "") if kind == "String" else body.get("Format") or "")
        fmt = {"Text": ""}.get(fmt, fmt)
        made = col(schema_name.lower(), kind, max_length=body.get("MaxLength"), required=required,
                   options=tuple(options), fmt=fmt, custom=True, schema_name=schema_name)
        made["IsPrimaryName"] = bool(body.get("IsPrimaryName"))
        return made

    def add_attribute(self, entity: str, column: dict[str, Any]) -> dict[str, Any]:
        """Add a column to a table; 400 when the name is taken."""
        table = self.table(entity)
        if column["LogicalName"] in self.columns[table["LogicalName"]]:
            raise MetaError(400, "0x80044363", f"An attribute with the specified name {column['SchemaName']} "
                                               f"already exists.")
        table["Attributes"].append(column)
        self.save(table)
        return column

    def create_table(self, body: dict[str, Any]) -> dict[str, Any]:
        """A custom table from an EntityMetadata POST body (primary name column included)."""
        schema_name = self._check_schema_name(body.get("SchemaName"))
        name = schema_name.lower()
        if name in self.tables:
            raise MetaError(400, "0x80044363", f"An entity with the specified name {schema_name} already exists.")
        primary = next((a for a in body.get("Attributes") or [] if a.get("IsPrimaryName")), None)
        if primary is None:
            raise MetaError(400, "0x80044355", "A new table needs one StringAttributeMetadata with IsPrimaryName true.")
        name_column = self.attribute_from_body(primary)
        entity_set = f"{name}es" if name.endswith(("s", "x", "ch", "sh")) else f"{name}s"
        display = label_text(body.get("DisplayName"), schema_name)
        table = _table(name, entity_set, f"{name}id", name_column["LogicalName"], [name_column],
                       _system(name, f"{name}id"), display=display, custom=True, schema_name=schema_name)
        self.save(table)
        return table

    def add_lookup(self, body: dict[str, Any]) -> dict[str, Any]:
        """A lookup column from a OneToManyRelationshipMetadata POST body."""
        referenced = str(body.get("ReferencedEntity") or "")
        referencing = str(body.get("ReferencingEntity") or "")
        self.table(referenced)
        lookup = body.get("Lookup") or {}
        schema_name = self._check_schema_name(lookup.get("SchemaName"))
        self._check_schema_name(body.get("SchemaName"), longest=100)
        column = col(schema_name.lower(), "Lookup", targets=(referenced,), custom=True, schema_name=schema_name,
                     required=(lookup.get("RequiredLevel") or {}).get("Value", "None"))
        column["RelationshipSchemaName"] = body["SchemaName"]
        return self.add_attribute(referencing, column)

    def remove_attribute(self, entity: str, key: str) -> dict[str, Any]:
        """Delete a custom column by MetadataId or LogicalName; 404 when missing."""
        table = self.table(entity)
        found = next((c for c in table["Attributes"] if key in (c["MetadataId"], c["LogicalName"])), None)
        if found is None:
            raise MetaError(404, "0x80040217", f"Could not find attribute {key} on {table['LogicalName']}.")
        if not found["IsCustomAttribute"] or found["IsPrimaryName"]:
            raise MetaError(400, "0x80044354", "Only custom columns that are not the primary name can be deleted.")
        if any(found["LogicalName"] in k["KeyAttributes"] for k in table["Keys"]):
            raise MetaError(400, "0x80044352", "The attribute is part of an alternate key; delete the key first.")
        table["Attributes"] = [c for c in table["Attributes"] if c is not found]
        self.save(table)
        return found

    def remove_table(self, key: str) -> dict[str, Any]:
        """Delete a custom table by MetadataId or LogicalName."""
        table = self.table(key)
        if not table["IsCustomEntity"]:
            raise MetaError(400, "0x80044354", "Only custom tables can be deleted.")
        del self.tables[table["LogicalName"]]
        self.db.execute("DELETE FROM metadata WHERE entity = ?", (table["LogicalName"],))
        self._index()
        return table

    def add_key(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """An alternate key, Pending until the emulator's key build delay has passed."""
        table = self.table(entity)
        schema_name = self._check_schema_name(body.get("SchemaName"))
        attrs = body.get("KeyAttributes")
        if not isinstance(attrs, list) or not 1 <= len(attrs) <= 16:
            raise MetaError(400, "0x80044355", "KeyAttributes must list 1 to 16 columns.")
        for attr in attrs:
            column = self.columns[table["LogicalName"]].get(attr)
            if column is None or column["AttributeType"] not in ("String", "Integer", "Decimal", "DateTime",
                                                                   "Lookup", "Picklist", "Uniqueidentifier"):
                raise MetaError(400, "0x80044355", f"'{attr}' cannot be part of an alternate key.")
        if any(k["SchemaName"].lower() == schema_name.lower() for k in table["Keys"]):
            raise MetaError(400, "0x80044363", f"An entity key with the name {schema_name} already exists.")
        if len(table["Keys"]) >= 10:
            raise MetaError(400, "0x80044355", "A table can have at most 10 alternate keys.")
        key = {"SchemaName": schema_name, "LogicalName": schema_name.lower(), "KeyAttributes": list(attrs),
               "MetadataId": str(uuid.uuid4()), "EntityKeyIndexStatus": "Pending", "CreatedAt": self.clock(),
               "DisplayName": label_text(body.get("DisplayName"), schema_name)}
        table["Keys"].append(key)
        self.save(table)
        return key

    def remove_key(self, entity: str, key_id: str) -> None:
        """Delete an alternate key by MetadataId or LogicalName."""
        table = self.table(entity)
        kept = [k for k in table["Keys"] if key_id not in (k["MetadataId"], k["LogicalName"])]
        if len(kept) == len(table["Keys"]):
            raise MetaError(404, "0x80040217", f"Could not find entity key {key_id}.")
        table["Keys"] = kept
        self.save(table)

    # --- output -----------------------------------------------------------------------------

    @staticmethod
    def table_out(table: dict[str, Any]) -> dict[str, Any]:
        """EntityMetadata as the Web API shows it (without Attributes/Keys)."""
        out = {k: v for k, v in table.items() if k not in ("Attributes", "Keys", "DisplayName")}
        out["DisplayName"] = label(table["DisplayName"])
        out["LogicalCollectionName"] = table["EntitySetName"]
        out["@odata.type"] = "#Microsoft.Dynamics.CRM.EntityMetadata"
        return out

    @staticmethod
    def attribute_out(table: dict[str, Any], c: dict[str, Any], expand_options: bool) -> dict[str, Any]:
        """AttributeMetadata with the derived type's properties."""
        odata_type, type_name = TYPE_META[c["AttributeType"]]
        out: dict[str, Any] = {
            "@odata.type": f"#Microsoft.Dynamics.CRM.{odata_type}", "LogicalName": c["LogicalName"],
            "SchemaName": c["SchemaName"], "AttributeType": c["AttributeType"],
            "AttributeTypeName": {"Value": type_name}, "EntityLogicalName": table["LogicalName"],
            "RequiredLevel": {"Value": c["RequiredLevel"], "CanBeChanged": not c["IsPrimaryId"],
                              "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
            "IsValidForCreate": c["IsValidForCreate"], "IsValidForUpdate": c["IsValidForUpdate"],
            "IsValidForRead": True, "IsCustomAttribute": c["IsCustomAttribute"], "IsPrimaryId": c["IsPrimaryId"],
            "IsPrimaryName": c["IsPrimaryName"], "MetadataId": c["MetadataId"],
            "DisplayName": label(c["SchemaName"]),
        }
        kind = c["AttributeType"]
        if kind in ("String", "Memo"):
            out["MaxLength"] = c["MaxLength"]
            if kind == "String":
                out["FormatName"] = {"Value": c["Format"] or "Text"}
        if kind == "DateTime":
            out["Format"] = c["Format"] or "DateAndTime"
        if kind in LOOKUP_TYPES:
            out["Targets"] = list(c["Targets"])
        if kind in CHOICE_TYPES and expand_options:
            out["OptionSet"] = {"Options": [{"Value": v, "Label": label(t)} for v, t in c["Options"]]}
        return out

    def key_out(self, table: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
        """EntityKeyMetadata."""
        return {"@odata.type": "#Microsoft.Dynamics.CRM.EntityKeyMetadata", "SchemaName": key["SchemaName"],
                "LogicalName": key["LogicalName"], "KeyAttributes": key["KeyAttributes"],
                "MetadataId": key["MetadataId"], "EntityKeyIndexStatus": key["EntityKeyIndexStatus"],
                "EntityLogicalName": table["LogicalName"], "DisplayName": label(key["DisplayName"])}

    def relationships_out(self, table: dict[str, Any]) -> list[dict[str, Any]]:
        """ManyToOneRelationships: one per lookup target, with the navigation property name."""
        out = []
        for c in table["Attributes"]:
            if c["AttributeType"] not in LOOKUP_TYPES:
                continue
            for target in c["Targets"]:
                referenced = self.tables.get(target)
                out.append({
                    "@odata.type": "#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
                    "SchemaName": c.get("RelationshipSchemaName") or f"{target}_{table['LogicalName']}_{c['LogicalName']}",
                    "ReferencingEntity": table["LogicalName"], "ReferencingAttribute": c["LogicalName"],
                    "ReferencedEntity": target,
                    "ReferencedAttribute": referenced["PrimaryIdAttribute"] if referenced else f"{target}id",
                    "ReferencingEntityNavigationPropertyName": nav_name(table, c, target),
                    "MetadataId": c["MetadataId"],
                })
        return out
