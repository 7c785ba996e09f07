"""Dataverse emulator records: typed validation, lookups, alternate keys, upsert and reads (reference §3.4, §3.7).

Records live in one SQLite table as JSON documents; a lookup is stored under the name the Web API reads it
back by (`_<attribute>_value`), its target table under `__targets`. Alternate-key columns get an expression
index once the key is Active.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from typing import Any

from connectors.emulators._dynamics_query import GUID, FilterParser, QueryError, column_sql, parse_key
from connectors.emulators._dynamics_schema import CHOICE_TYPES, LOOKUP_TYPES, MetadataStore

Resolver = Callable[[str], tuple[str, str] | None]
"""Content-ID reference `$n` -> (table logical name, record id) inside a $batch change set."""


class ApiError(Exception):
    """A Dataverse error response: status and the `{"error":{"code","message"}}` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"error": {"code": self.code, "message": self.message}}


def syntax_error() -> ApiError:
    """400 for a URL the OData parser refuses."""
    return ApiError(400, "0x8006088a", "Bad Request - Error in query syntax.")


def missing(entity: str, record_id: str, code: str = "0x80040217") -> ApiError:
    """404 for a record id that does not exist."""
    return ApiError(404, code, f"{entity} With Id = {record_id} Does Not Exist")


def _unknown(entity: str, name: str) -> ApiError:
    return ApiError(400, "0x80060888", f"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM."
                                       f"{entity}'. Make sure to only use property names that are defined by the type.")


def _bad_value(entity: str, name: str, what: str) -> ApiError:
    return ApiError(400, "0x80048d19", f"Error identified in Payload provided by the user for Entity :'{entity}s', "
                                       f"Property '{name}': {what}")


def now_text() -> str:
    """The current UTC time at the Web API's one-second precision."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datetime(entity: str, name: str, value: Any, date_only: bool) -> str:
    if not isinstance(value, str):
        raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.")
    try:
        if date_only and len(value) == 10:
            return date.fromisoformat(value).isoformat()
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if date_only:
        return parsed.date().isoformat()
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RecordStore:
    """Rows of every table, validated against the metadata."""

    def __init__(self, db: sqlite3.Connection, meta: MetadataStore, key_state: Callable[[str], None]) -> None:
        self.db = db
        self.meta = meta
        self.key_state = key_state  # settles Pending keys of a table before they are used
        db.execute("CREATE TABLE IF NOT EXISTS records (entity TEXT, id TEXT, data TEXT NOT NULL, "
                   "PRIMARY KEY (entity, id))")
        self.user_id = ""
        self._counter: int | None = None

    # --- seeding ------------------------------------------------------------------------------

    def seed(self, org_records: bool) -> None:
        """The calling user, plus (org_records) more users and records that exist before bridgework arrives."""
        if self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone():
            user = self.db.execute("SELECT id FROM records WHERE entity = 'systemuser' ORDER BY id").fetchone()
            self.user_id = str(user[0]) if user else ""
            return
        users = [("Avery", "Admin", "admin@practice.example"), ("Dana", "Dentist", "dana@practice.example"),
                 ("Harper", "Hygienist", "harper@practice.example")]
        ids = [str(uuid.UUID(int=0x5EED0000 + n)) for n in range(len(users))]
        self.user_id = ids[0]
        for user_id, (first, last, email) in zip(ids, users if org_records else users[:1]):
            self.create("systemuser", {"firstname": first, "lastname": last, "internalemailaddress": email},
                        record_id=user_id)
        if not org_records:
            return
        account = self.create("account", {"name": "Riverside Dental Group", "accountnumber": "ORG-1"},
                              record_id=str(uuid.UUID(int=0xACC0001)))
        self.create("contact", {"firstname": "Existing", "lastname": "Customer", "emailaddress1": "ec@org.example",
                                "parentcustomerid_account@odata.bind": f"/accounts({account})"},
                    record_id=str(uuid.UUID(int=0xC0C0001)))
        self.create("contact", {"firstname": "Office", "lastname": "Manager"}, record_id=str(uuid.UUID(int=0xC0C0002)))


    # --- lookups of stored rows -----------------------------------------------------------------

    def row(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """The stored record or None."""
        found = self.db.execute("SELECT data FROM records WHERE entity = ? AND id = ?", (entity, record_id)).fetchone()
        return json.loads(found[0]) if found else None

    def active_key(self, entity: str, attributes: set[str]) -> dict[str, Any] | None:
        """The Active alternate key made of exactly these columns."""
        self.key_state(entity)
        table = self.meta.table(entity)
        return next((k for k in table["Keys"] if set(k["KeyAttributes"]) == attributes
                     and k["EntityKeyIndexStatus"] == "Active"), None)

    def by_key(self, entity: str, values: dict[str, Any]) -> str | None:
        """The id of the record whose alternate key columns hold `values`."""
        where = " AND ".join(f"{column_sql(self._stored_name(entity, k))} = ?" for k in sorted(values))
        params = [entity] + [values[k] for k in sorted(values)]
        found = self.db.execute(f"SELECT id FROM records WHERE entity = ? AND {where} LIMIT 1", params).fetchone()
        return str(found[0]) if found else None

    def _stored_name(self, entity: str, name: str) -> str:
        column = self.meta.columns[entity].get(name)
        return f"_{name}_value" if column and column["AttributeType"] in LOOKUP_TYPES else name

    def locate(self, entity: str, segment: str) -> tuple[str | None, str | dict[str, Any]]:
        """(record id or None, parsed key) for the inside of `set(...)`; 400 for an unusable key."""
        try:
            key = parse_key(segment)
        except QueryError:
            raise syntax_error() from None
        if isinstance(key, str):
            return (key if self.row(entity, key) is not None else None), key
        if self.active_key(entity, set(key)) is None:
            raise syntax_error()  # a key that is not defined or not Active yet (R: one third-party report)
        return self.by_key(entity, key), key

    def resolve_bind(self, text: Any, resolver: Resolver | None) -> tuple[str, str]:
        """(table, id) for an `@odata.bind` value: `/set(guid)`, `set(key='v')`, a full URL or `$n`."""
        if not isinstance(text, str):
            raise ApiError(400, "0x80048d19", "An @odata.bind value must be a string.")
        if text.startswith("$"):
            found = resolver(text[1:]) if resolver else None
            if found is None:
                raise ApiError(400, "0x80060888", f"Content-ID reference '{text}' was not found in the change set.")
            return found
        path = text.split("/api/data/v9.2/", 1)[-1].lstrip("/")
        if "(" not in path or not path.endswith(")"):
            raise syntax_error()
        entity_set, segment = path[:-1].split("(", 1)
        table = self.meta.by_set(entity_set)
        if table is None:
            raise ApiError(404, "0x80060888", f"Resource not found for the segment '{entity_set}'.")
        entity = table["LogicalName"]
        record_id, key = self.locate(entity, segment)
        if record_id is None:
            if isinstance(key, str):
                raise missing(entity, key)
            raise ApiError(404, "0x80040217", f"A record with the specified key values does not exist in {entity} entity")
        return entity, record_id

    # --- writes -------------------------------------------------------------------------------

    def _convert(self, entity: str, column: dict[str, Any], value: Any) -> Any:
        name, kind = column["LogicalName"], column["AttributeType"]
        if value is None:
            return None
        if kind in ("String", "Memo"):
            if not isinstance(value, str):
                raise _bad_value(entity, name, "Cannot convert a primitive value to the expected type 'Edm.String'.")
            if value == "":
                return None  # the platform stores an empty string as null
            if column["MaxLength"] is not None and len(value) > column["MaxLength"]:
                raise ApiError(400, "0x80044331", f"A validation error occurred.  The length of the '{name}' attribute "
                                                  f"of the '{entity}' entity exceeded the maximum allowed length of "
                                                  f"'{column['MaxLength']}'.")
            return value
        if kind in ("Integer", "BigInt") or kind in CHOICE_TYPES:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.Int32'.")
            if kind in CHOICE_TYPES and value not in {v for v, _ in column["Options"]}:
                # A: the real code and wording are unconfirmed (reference §3.7, open point 1)
                raise ApiError(400, "0x8004431a", f"{name} value {value} is outside the valid range. "
                                                  f"Accepted Values: {','.join(str(v) for v, _ in column['Options'])}")
            return value
        if kind in ("Decimal", "Double", "Money"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.Decimal'.")
            return value
        if kind == "Boolean":
            if not isinstance(value, bool):
                raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.Boolean'.")
            return value
        if kind == "DateTime":
            return _datetime(entity, name, value, column["Format"] == "DateOnly")
        if kind == "Uniqueidentifier":
            if not isinstance(value, str) or not GUID.match(value):
                raise _bad_value(entity, name, "Cannot convert the literal to the expected type 'Edm.Guid'.")
            return value.lower()
        raise _unknown(entity, name)

    def _apply(self, entity: str, body: dict[str, Any], data: dict[str, Any], creating: bool,
               resolver: Resolver | None) -> None:
        columns = self.meta.columns[entity]
        navs = self.meta.navs[entity]
        for key, value in body.items():
            if key.endswith("@odata.bind"):
                nav = key[: -len("@odata.bind")]
                if nav not in navs:
                    raise ApiError(400, "0x80060888", f"An undeclared property '{nav}' which only has property "
                                   "annotations in the payload but no property value was found in the payload. In "
                                   "OData, only declared navigation properties and declared named streams can be "
                                   "represented as properties without values.")
                attribute, target = navs[nav]
                bound_entity, bound_id = self.resolve_bind(value, resolver)
                if bound_entity != target:
                    raise ApiError(400, "0x80048d19", f"The navigation property '{nav}' expects a {target} record.")
                data[f"_{attribute}_value"] = bound_id
                data.setdefault("__targets", {})[attribute] = target
                continue
            if key.startswith("@") or "@" in key:
                continue
            column = columns.get(key)
            if column is None or column["AttributeType"] in LOOKUP_TYPES:
                raise _unknown(entity, key)
            if key == "overriddencreatedon":
                if creating and value is not None:
                    data["overriddencreatedon"] = self._convert(entity, column, value)
                continue  # ignored on update (reference §3.8)
            if not (column["IsValidForCreate"] if creating else column["IsValidForUpdate"]):
                continue  # read-only columns are ignored, as the server does
            converted = self._convert(entity, column, value)
            if converted is None and column["RequiredLevel"] == "SystemRequired":
                # A: code and wording unconfirmed; only SystemRequired is enforced (ApplicationRequired is not)
                raise ApiError(400, "0x80040203", f"Attribute: {key} cannot be set to NULL")
            data[key] = converted

    def _defaults(self, entity: str, data: dict[str, Any]) -> None:
        for column in self.meta.tables[entity]["Attributes"]:
            name = column["LogicalName"]
            if column["AttributeType"] == "Owner" and f"_{name}_value" not in data:
                data[f"_{name}_value"] = self.user_id
                data.setdefault("__targets", {})[name] = "systemuser"
            elif entity == "systemuser" and name == "isdisabled" and data.get(name) is None:
                data[name] = False  # users are enabled until an admin disables them
            elif column["AttributeType"] == "State" and data.get(name) is None:
                data[name] = column["Options"][0][0]
            elif column["AttributeType"] == "Status" and data.get(name) is None:
                data[name] = column["Options"][0][0]

    def _check_keys(self, entity: str, record_id: str, data: dict[str, Any]) -> None:
        self.key_state(entity)
        for key in self.meta.tables[entity]["Keys"]:
            if key["EntityKeyIndexStatus"] != "Active":
                continue
            values = {a: data.get(self._stored_name(entity, a)) for a in key["KeyAttributes"]}
            if any(v is None for v in values.values()):
                continue
            other = self.by_key(entity, values)
            if other is not None and other != record_id:
                shown = ",".join(str(v) for v in values.values())
                raise ApiError(412, "0x80060892", f"A record that has the attribute values {shown} already exists. "
                                                  f"The entity key {key['SchemaName']} requires that this set of "
                                                  "attributes contains unique values. Select unique values and try again.")

    def _store(self, entity: str, record_id: str, data: dict[str, Any]) -> None:
        if entity in ("contact", "systemuser"):
            data["fullname"] = " ".join(p for p in (data.get("firstname"), data.get("lastname")) if p) or None
        if entity == "annotation":
            body = data.get("documentbody") or ""
            data["filesize"] = len(body) * 3 // 4 - body[-2:].count("=") if body else None
        self._check_keys(entity, record_id, data)
        self.db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (entity, record_id, json.dumps(data)))

    def create(self, entity: str, body: dict[str, Any], *, record_id: str | None = None,
               key_values: dict[str, Any] | None = None, resolver: Resolver | None = None) -> str:
        """Insert a record; its id (client-chosen, from the URL, or new)."""
        table = self.meta.tables[entity]
        primary = table["PrimaryIdAttribute"]
        chosen = body.get(primary)
        record_id = (record_id or (chosen.lower() if isinstance(chosen, str) else None) or str(uuid.uuid4()))
        if not GUID.match(record_id):
            raise _bad_value(entity, primary, "Cannot convert the literal to the expected type 'Edm.Guid'.")
        if self.row(entity, record_id) is not None:
            raise ApiError(412, "0x80040237", "Cannot insert duplicate key.")
        data: dict[str, Any] = {}
        for name, value in (key_values or {}).items():
            data[self._stored_name(entity, name)] = value
        self._apply(entity, {k: v for k, v in body.items() if k != primary}, data, True, resolver)
        self._defaults(entity, data)
        stamp = now_text()
        data[primary] = record_id
        data["createdon"] = data.get("overriddencreatedon") or stamp
        data["modifiedon"] = stamp
        data["versionnumber"] = self._version()
        data["_createdby_value"] = data["_modifiedby_value"] = self.user_id or record_id
        self._store(entity, record_id, data)
        return record_id

    def update(self, entity: str, record_id: str, body: dict[str, Any], resolver: Resolver | None = None) -> None:
        """Change an existing record."""
        data = self.row(entity, record_id)
        if data is None:
            raise missing(entity, record_id)
        self._apply(entity, {k: v for k, v in body.items() if k != self.meta.tables[entity]["PrimaryIdAttribute"]},
                    data, False, resolver)
        data["modifiedon"] = now_text()
        data["versionnumber"] = self._version()
        data["_modifiedby_value"] = self.user_id
        self._store(entity, record_id, data)

    def _version(self) -> int:
        if self._counter is None:
            row = self.db.execute("SELECT MAX(json_extract(data, '$.versionnumber')) FROM records").fetchone()
            self._counter = int(row[0] or 1000)
        self._counter += 1
        return self._counter

    def upsert(self, entity: str, segment: str, body: dict[str, Any], *, if_match: str | None,
               if_none_match: str | None, resolver: Resolver | None = None) -> tuple[str, bool]:
        """PATCH semantics (§3.4): (record id, created?) honouring If-Match / If-None-Match `*`."""
        record_id, key = self.locate(entity, segment)
        if record_id is None:
            if if_match == "*":
                shown = key if isinstance(key, str) else ",".join(str(v) for v in key.values())
                raise missing(entity, shown, code="")
            if isinstance(key, str):
                return self.create(entity, body, record_id=key, resolver=resolver), True
            return self.create(entity, body, key_values=key, resolver=resolver), True
        if if_none_match == "*":
            raise ApiError(412, "", "A record with matching key values already exists.")
        self.update(entity, record_id, body, resolver)
        return record_id, False

    def delete(self, entity: str, record_id: str) -> None:
        """Remove a record for good; 404 when missing."""
        if self.db.execute("DELETE FROM records WHERE entity = ? AND id = ?", (entity, record_id)).rowcount == 0:
            raise missing(entity, record_id)

    # --- reads --------------------------------------------------------------------------------

    def readable(self, entity: str) -> set[str]:
        """Property names a $select or $filter may use."""
        names = set()
        for column in self.meta.tables[entity]["Attributes"]:
            names.add(self._stored_name(entity, column["LogicalName"]))
        return names

    def out(self, entity: str, data: dict[str, Any], select: list[str] | None,
            annotate: bool = False) -> dict[str, Any]:
        """A record as the Web API returns it: every column (or the $select ones), lookups as _x_value."""
        names = select or sorted(self.readable(entity))
        result: dict[str, Any] = {"@odata.etag": f'W/"{data.get("versionnumber")}"'}
        targets = data.get("__targets", {})
        for name in names:
            result[name] = data.get(name)
            if annotate and name.startswith("_") and name.endswith("_value") and data.get(name) is not None:
                result[f"{name}@Microsoft.Dynamics.CRM.lookuplogicalname"] = targets.get(name[1:-6])
        result[self.meta.tables[entity]["PrimaryIdAttribute"]] = data[self.meta.tables[entity]["PrimaryIdAttribute"]]
        return result

    def check_select(self, entity: str, select: list[str] | None) -> None:
        """400 for a $select naming a property the table does not have."""
        known = self.readable(entity)
        for name in select or ():
            if name not in known:
                raise ApiError(400, "0x80060888", f"Could not find a property named '{name}' on type "
                                                  f"'Microsoft.Dynamics.CRM.{entity}'.")

    def query(self, entity: str, filter_text: str | None, *, skip: int, top: int | None) -> tuple[Iterator[dict[str, Any]], int]:
        """Matching records in id order from `skip` (at most `top`), and the total match count."""
        where, params = "entity = ?", [entity]
        if filter_text:
            try:
                primary = self.meta.tables[entity]["PrimaryIdAttribute"]
                clause, extra = FilterParser(filter_text, self.readable(entity), primary).sql()
            except QueryError as exc:
                raise ApiError(400, "0x8006088a", str(exc)) from None
            where += f" AND {clause}"
            params += extra
        total = int(self.db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()[0])
        limit = -1 if top is None else top
        # `+id` keeps SQLite from walking the primary key for the order when a filter has a better index
        order = "+id" if filter_text else "id"
        rows = self.db.execute(f"SELECT data FROM records WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                               params + [limit, skip])
        return (json.loads(r[0]) for r in rows), total

    def key_clash(self, entity: str, attributes: list[str]) -> bool:
        """True when two records share values of these columns (the key build then fails)."""
        cols = ", ".join(column_sql(self._stored_name(entity, a)) for a in attributes)
        nonnull = " AND ".join(f"{column_sql(self._stored_name(entity, a))} IS NOT NULL" for a in attributes)
        found = self.db.execute(f"SELECT 1 FROM records WHERE entity = ? AND {nonnull} GROUP BY {cols} "
                                "HAVING COUNT(*) > 1 LIMIT 1", (entity,)).fetchone()
        return found is not None

    def index_key(self, entity: str, attributes: list[str]) -> None:
        """An expression index over the key's columns so upserts by key stay fast."""
        names = [self._stored_name(entity, a) for a in attributes]
        cols = ", ".join(column_sql(n) for n in names)
        self.db.execute(f"CREATE INDEX IF NOT EXISTS ix_key_{'_'.join(names)} ON records (entity, {cols})")

    def drop_entity(self, entity: str) -> None:
        """Forget every record of a deleted table."""
        self.db.execute("DELETE FROM records WHERE entity = ?", (entity,))

    def drop_column(self, entity: str, column: dict[str, Any]) -> None:
        """Remove a deleted column's values."""
        name = column["LogicalName"]
        stored = f"_{name}_value" if column["AttributeType"] in LOOKUP_TYPES else name
        self.db.execute("UPDATE records SET data = json_remove(data, ?) WHERE entity = ?", (f"$.{stored}", entity))
