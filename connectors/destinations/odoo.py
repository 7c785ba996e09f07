"""Odoo CRM destination (reference/destinations.md §4): JSON-RPC by default, Odoo 19's JSON-2 as an option.

Odoo has no upsert by field, so each record carries its external id in the custom char field
`x_bw_external_id` (indexed; the schema plan creates it on every model bridgework writes). upsert()
searches by it, writes the records that exist (skipping unchanged ones) and creates the rest in one
list `create`. A list create is one transaction: when one record fails the whole call fails, so the
batch is split in halves until every bad record has its own rejection. A create whose response was
lost is never simply re-sent: the next attempt searches by external id first and creates only what
is still missing.

Chatter notes are ordinary records of `mail.message` (`model`, `res_id`, `body`, `message_type`
"comment", `subtype_xmlid` "mail.mt_note" or `subtype_id`, `date`); activities are `mail.activity`
records (`res_model` or `res_model_id`, `res_id`, `activity_type_id`, `summary`, `note`,
`date_deadline`, `user_id`). The connector turns `res_model` and `subtype_xmlid` into the ids Odoo wants.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from connectors.base import MODIFIED_AT, Capabilities, DestRecord, Outcome, Record
from connectors.destinations._odoo_rpc import OdooFault, OdooRPC, Protocol
from connectors.http import RetryableHTTPError, RetryPolicy, UnreachableError, make_client
from connectors.secrets import require_secret
from mapper.errors import ConfigError, DestinationError
from mapper.schema import Entity, Field, Schema, SchemaChange

EXTERNAL_ID_FIELD = "x_bw_external_id"
MODELS = ("res.partner", "crm.lead", "crm.team", "crm.stage", "res.company", "res.users", "mail.activity",
          "mail.activity.type", "mail.message", "calendar.event", "ir.attachment")
ATTRIBUTES = ["type", "string", "help", "required", "readonly", "store", "manual", "relation", "selection", "size"]
FIELD_TYPES = {"char": "string", "text": "text", "html": "text", "integer": "int", "float": "decimal", "monetary": "money",
               "boolean": "bool", "date": "date", "datetime": "datetime", "selection": "enum", "many2one": "reference",
               "one2many": "reference", "many2many": "reference", "binary": "file", "many2one_reference": "int"}
# Normalised type -> ttype of a new custom field. Money becomes float: a custom monetary field needs a currency field.
TTYPES = {"string": "char", "text": "text", "int": "integer", "decimal": "float", "money": "float", "bool": "boolean",
          "date": "date", "datetime": "datetime", "email": "char", "phone": "char", "url": "char", "enum": "selection",
          "reference": "many2one", "json": "text", "file": "binary"}
DATETIME = "%Y-%m-%d %H:%M:%S"
CHUNK = 1000


class OdooDestination:
    """Loads records into Odoo over HTTP; every number in `capabilities` comes from the reference (§4.8)."""

    name = "odoo"
    # No hard batch cap in Odoo; 200 records per create measured ≈ 0.4 s, far from limit_time_real (120 s).
    capabilities = Capabilities(
        max_batch=200,
        requests_per_window=None,  # no API rate limiter in core Odoo
        window_seconds=1.0,
        upsert_by_external_id=False,  # search by x_bw_external_id, then write or create
        external_id_field=EXTERNAL_ID_FIELD,
        hard_delete=True,
        preserves_created_at=False,  # create_date is silently dropped: keep source dates in x_ fields
        max_name_length=63,
    )

    def __init__(self, rpc: OdooRPC) -> None:
        self.rpc = rpc
        self._types: dict[str, dict[str, str]] = {}
        self._model_ids: dict[str, int] = {}

    # -- metadata ---------------------------------------------------------
    def describe(self) -> Schema:
        """The models bridgework uses plus every custom x_ model, from ir.model and fields_get."""
        domain = ["|", ["model", "in", list(MODELS)], ["model", "=like", "x\\_%"]]
        rows = self.rpc.call("ir.model", "search_read", domain, ["model", "name", "state"])
        found = {r["model"]: r for r in rows}
        names = [m for m in MODELS if m in found] + sorted(m for m in found if m not in MODELS)
        entities = tuple(self._entity(found[m]) for m in names)
        return Schema(system="odoo", entities=entities, version=self.rpc.version())

    def _entity(self, row: Mapping[str, Any]) -> Entity:
        described = self.rpc.call(row["model"], "fields_get", attributes=ATTRIBUTES)
        self._types[row["model"]] = {n: d.get("type", "char") for n, d in described.items()}
        fields = tuple(_field(name, described[name]) for name in sorted(described))
        return Entity(name=row["model"], label=str(row["name"]), fields=fields, key="id", is_custom=row.get("state") == "manual")

    def _field_types(self, entity: str) -> dict[str, str]:
        if entity not in self._types:
            described = self.rpc.call(entity, "fields_get", attributes=["type"])
            self._types[entity] = {n: d.get("type", "char") for n, d in described.items()}
        return self._types[entity]

    def _model_id(self, model: str) -> int | None:
        if model not in self._model_ids:
            ids = self.rpc.call("ir.model", "search", [["model", "=", model]])
            if not ids:
                return None
            self._model_ids[model] = int(ids[0])
        return self._model_ids[model]

    # -- schema changes ---------------------------------------------------
    def apply_change(self, change: SchemaChange) -> str:
        """Create a custom field (ir.model.fields, state manual) or model (ir.model + access row); idempotent."""
        if change.kind == "object":
            existing = self._model_id(change.entity)
            if existing is not None:
                return str(existing)
            model_id = self.rpc.call("ir.model", "create", {"name": change.label or change.entity, "model": change.entity,
                                                             "state": "manual", "info": change.description or False})
            self.rpc.call("ir.model.access", "create", {
                "name": f"access_{change.entity.replace('.', '_')}_bridgework", "model_id": model_id,
                "perm_read": True, "perm_write": True, "perm_create": True, "perm_unlink": True})
            self._model_ids[change.entity] = int(model_id)
            return str(model_id)
        found = self._custom_field_id(change)
        if found is not None:
            return str(found)
        model_id = self._model_id(change.entity)
        if model_id is None:
            raise DestinationError(f"Odoo has no model {change.entity}.", hint="Create the object change first (bridgework plan --apply).")
        vals: dict[str, Any] = {
            "model_id": model_id, "name": change.name, "field_description": change.label or change.name,
            "ttype": TTYPES.get(change.type, "char"), "state": "manual", "required": False,
            "index": change.external_id or change.unique, "help": change.description or False,
        }
        if vals["ttype"] == "char" and change.max_length:
            vals["size"] = change.max_length
        if vals["ttype"] == "many2one":
            vals["relation"] = change.reference
        if vals["ttype"] == "selection":
            vals["selection_ids"] = [[0, 0, {"value": v, "name": v, "sequence": i}] for i, v in enumerate(change.enum_values)]
        field_id = self.rpc.call("ir.model.fields", "create", vals)
        self._types.pop(change.entity, None)
        return str(field_id)

    def _custom_field_id(self, change: SchemaChange) -> int | None:
        ids = self.rpc.call("ir.model.fields", "search", [["model", "=", change.entity], ["name", "=", change.name]])
        return int(ids[0]) if ids else None

    def revert_change(self, change: SchemaChange) -> None:
        """Remove a custom field or model that apply_change created (nothing to do when it is gone)."""
        if change.kind == "object":
            model_id = self._model_id(change.entity)
            if model_id is not None:
                self.rpc.call("ir.model", "unlink", [model_id])
            self._model_ids.pop(change.entity, None)
            self._types.pop(change.entity, None)
            return
        field_id = self._custom_field_id(change)
        if field_id is not None:
            self.rpc.call("ir.model.fields", "unlink", [field_id])
        self._types.pop(change.entity, None)

    # -- writes -----------------------------------------------------------
    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Write the records whose external id exists (skipping unchanged ones), create the rest in one call."""
        cap = self.capabilities.max_batch
        if len(records) > cap:
            return [o for start in range(0, len(records), cap) for o in self.upsert(entity, records[start : start + cap])]
        outcomes: dict[int, Outcome] = {}
        first: dict[str, int] = {}
        for index, record in enumerate(records):
            if record.external_id in first:
                outcomes[index] = Outcome(record.external_id, None, "reject", code="DuplicateExternalId",
                                          error="The batch holds this external id more than once.")
            else:
                first[record.external_id] = index
        unique = [records[i] for i in first.values()]
        names = sorted({k for r in unique for k in r.values})
        existing = self._rows(entity, [r.external_id for r in unique], names)
        to_create: list[tuple[int, DestRecord, dict[str, Any]]] = []
        for record in unique:
            index = first[record.external_id]
            try:
                vals = self._encode(entity, record.values)
            except (ValueError, TypeError) as exc:
                outcomes[index] = Outcome(record.external_id, None, "reject", code="BadValue", error=str(exc))
                continue
            row = existing.get(record.external_id)
            if row is None:
                to_create.append((index, record, {**vals, EXTERNAL_ID_FIELD: record.external_id}))
            elif self._unchanged(entity, row, vals):
                outcomes[index] = Outcome(record.external_id, str(row["id"]), "unchanged")
            else:
                outcomes[index] = self._write(entity, row["id"], record.external_id, vals)
        for (index, _, _), outcome in zip(to_create, self._create(entity, [t[1] for t in to_create], [t[2] for t in to_create])):
            outcomes[index] = outcome
        return [outcomes[i] for i in range(len(records))]

    def _create(self, entity: str, records: list[DestRecord], vals: list[dict[str, Any]], *, searched: bool = True) -> list[Outcome]:
        if not records:
            return []
        try:
            ids = self._create_once(entity, records, vals, searched)
        except OdooFault as fault:
            if len(records) == 1:
                return [Outcome(records[0].external_id, None, "reject", error=fault.safe_message, code=fault.code)]
            mid = len(records) // 2  # one bad record fails the whole call: bisect until each failure stands alone
            return (self._create(entity, records[:mid], vals[:mid], searched=False)
                    + self._create(entity, records[mid:], vals[mid:], searched=False))
        return [Outcome(r.external_id, str(ids[r.external_id]), "create") for r in records]

    def _create_once(self, entity: str, records: list[DestRecord], vals: list[dict[str, Any]], searched: bool) -> dict[str, int]:
        """One list create; when its response is lost, search again and create only what is still missing."""
        attempts = {"n": 0}

        def attempt() -> dict[str, int]:
            attempts["n"] += 1
            found: dict[str, int] = {}
            if attempts["n"] > 1 or not searched:
                found = {k: int(v) for k, v in self.find(entity, [r.external_id for r in records]).items()}
            missing = [i for i, r in enumerate(records) if r.external_id not in found]
            if missing:
                created = self.rpc.call(entity, "create", [vals[i] for i in missing], retry=False)
                found.update({records[i].external_id: int(rid) for i, rid in zip(missing, created)})
            return found

        try:
            result: dict[str, int] = self.rpc.policy.call(attempt)
        except RetryableHTTPError as exc:
            raise UnreachableError(
                f"Odoo at {self.rpc.url} kept failing ({exc.reason}) while creating {entity} records.",
                hint="Start it (bridgework emulate odoo) or check BRIDGEWORK_ODOO_URL / the url in bridgework.toml, "
                     "then rerun (it resumes; nothing is duplicated).",
            ) from None
        return result

    def _write(self, entity: str, record_id: int, external_id: str, vals: dict[str, Any]) -> Outcome:
        try:
            self.rpc.call(entity, "write", [int(record_id)], vals)
        except OdooFault as fault:
            return Outcome(external_id, str(record_id), "reject", error=fault.safe_message, code=fault.code)
        return Outcome(external_id, str(record_id), "update")

    def update(self, entity: str, destination_id: str, values: Record) -> Outcome:
        """Write `values` onto one record (before-images on rollback)."""
        external = str(values.get(EXTERNAL_ID_FIELD) or "")
        try:
            vals = self._encode(entity, values)
        except (ValueError, TypeError) as exc:
            return Outcome(external, destination_id, "reject", code="BadValue", error=str(exc))
        return self._write(entity, int(destination_id), external, vals)

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        """unlink: permanent, and Odoo drops the records' xmlids, chatter and attachments too.

        A res.company keeps its partner when unlinked (Odoo made it on create): the partners of the
        companies deleted here go too, so a rollback leaves no orphan company partner behind.
        """
        partners: dict[str, int] = {}
        if entity == "res.company" and ids:
            rows = self.rpc.call(entity, "read", [int(i) for i in ids], ["partner_id"])
            partners = {str(r["id"]): r["partner_id"][0] for r in rows if r.get("partner_id")}
        outcomes = self._unlink(entity, ids)
        gone = [partners[o.destination_id] for o in outcomes if o.action == "delete" and o.destination_id in partners]
        if gone:
            try:
                self.rpc.call("res.partner", "unlink", gone)
            except OdooFault:
                pass  # still referenced elsewhere: Odoo keeps it, as it would after a manual delete
        return outcomes

    def _unlink(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        if not ids:
            return []
        try:
            self.rpc.call(entity, "unlink", [int(i) for i in ids])
            return [Outcome("", str(i), "delete") for i in ids]
        except OdooFault as fault:
            if len(ids) == 1:
                if fault.code == "MissingError":
                    return [Outcome("", str(ids[0]), "delete")]
                return [Outcome("", str(ids[0]), "reject", error=fault.safe_message, code=fault.code)]
        return [outcome for i in ids for outcome in self._unlink(entity, [i])]

    # -- reads ------------------------------------------------------------
    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Record]:
        """Destination id -> flat values (many2one as the id, empty as None) plus MODIFIED_AT."""
        types = self._field_types(entity)
        wanted = sorted({*fields, "write_date"}) if fields else None
        out: dict[str, Record] = {}
        numbers = [int(i) for i in ids]
        for start in range(0, len(numbers), CHUNK):
            for row in self.rpc.call(entity, "read", numbers[start : start + CHUNK], wanted):
                record = {name: _flat(types.get(name, "char"), value) for name, value in row.items() if name != "id"}
                record[MODIFIED_AT] = _iso(row.get("write_date"))
                if fields and "write_date" not in fields:
                    record.pop("write_date", None)
                out[str(row["id"])] = record
        return out

    def _rows(self, entity: str, external_ids: list[str], names: list[str]) -> dict[str, dict[str, Any]]:
        """external id -> the stored row (the given field names), archived records included."""
        out: dict[str, dict[str, Any]] = {}
        types = self._field_types(entity) if names else {}
        wanted = [EXTERNAL_ID_FIELD, *[n for n in names if n in types and n != EXTERNAL_ID_FIELD]]
        for start in range(0, len(external_ids), CHUNK):
            chunk = external_ids[start : start + CHUNK]
            try:
                rows = self.rpc.call(entity, "search_read", [[EXTERNAL_ID_FIELD, "in", chunk]], wanted,
                                     context={"active_test": False})
            except OdooFault as fault:
                if EXTERNAL_ID_FIELD in fault.safe_message or fault.code == "ValueError":
                    raise DestinationError(f"Odoo model {entity} has no field {EXTERNAL_ID_FIELD} (or cannot be searched).",
                                           hint="Create it first: bridgework plan --apply, then rerun.") from None
                raise
            for row in rows:
                out.setdefault(str(row[EXTERNAL_ID_FIELD]), row)
        return out

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        """External id -> destination id, for those that exist (archived ones too)."""
        return {ext: str(row["id"]) for ext, row in self._rows(entity, list(external_ids), []).items()}

    def count(self, entity: str, external_id_prefix: str) -> int:
        """Records of `entity` whose external id starts with the prefix (archived ones too)."""
        pattern = external_id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return int(self.rpc.call(entity, "search_count", [[EXTERNAL_ID_FIELD, "=like", pattern]], context={"active_test": False}))

    def users(self) -> dict[str, str]:
        """Active res.users by lower-cased email (and login, when it is an email) -> user id; read a page at a time."""
        out: dict[str, str] = {}
        offset = 0
        while True:
            rows = self.rpc.call("res.users", "search_read", [["active", "=", True]], ["login", "email"],
                                 offset=offset, limit=CHUNK, order="id")
            for row in rows:
                for value in (row.get("email"), row.get("login")):
                    if isinstance(value, str) and "@" in value:
                        out.setdefault(value.strip().lower(), str(row["id"]))
            if len(rows) < CHUNK:
                return out
            offset += CHUNK

    def current_user(self) -> str:
        """The connecting user's res.users id: owner of records whose provider matches no user."""
        return str(self.rpc.uid())

    def close(self) -> None:
        """Release the HTTP client."""
        self.rpc.client.close()

    # -- values -----------------------------------------------------------
    def _encode(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Python values -> Odoo's wire values (None -> False, dates as strings, many2many as a set command)."""
        types = self._field_types(entity)
        out: dict[str, Any] = {}
        for name, value in sorted(values.items()):
            if name == "res_model" and entity in ("mail.activity", "calendar.event") and "res_model_id" not in values:
                model_id = self._model_id(str(value))
                if model_id is None:
                    raise ValueError(f"res_model names no Odoo model ({entity})")
                out["res_model_id"] = model_id
                continue
            if name == "subtype_xmlid" and entity == "mail.message":
                module, _, xml = str(value).partition(".")
                rows = self.rpc.call("ir.model.data", "search_read", [["module", "=", module], ["name", "=", xml]], ["res_id"])
                out["subtype_id"] = rows[0]["res_id"] if rows else False
                continue
            out[name] = _wire(types.get(name, ""), value)
        return out

    def _unchanged(self, entity: str, row: Mapping[str, Any], vals: Mapping[str, Any]) -> bool:
        types = self._field_types(entity)
        for name, value in vals.items():
            if name not in row or types.get(name) in ("one2many", "many2many", "html", "binary"):
                return False
            stored = row[name]
            if types.get(name) == "many2one":
                stored = stored[0] if stored else False
            if types.get(name) in ("float", "monetary"):
                if float(stored or 0) != float(value or 0):
                    return False
            elif stored != value and not (stored in (False, "") and value in (False, "")):
                return False
        return True


def _field(name: str, desc: Mapping[str, Any]) -> Field:
    ttype = str(desc.get("type", "char"))
    note = ""
    if ttype in ("one2many", "many2many"):
        note = f"{ttype} of {desc.get('relation')}: write a command list, e.g. [[6, 0, ids]]"
    elif ttype == "many2one_reference":
        note = "id of a record of the model named in res_model"
    return Field(
        name=name, type=FIELD_TYPES.get(ttype, "string"),  # type: ignore[arg-type]
        label=str(desc.get("string") or ""), description=" ".join(p for p in (str(desc.get("help") or ""), note) if p),
        required=bool(desc.get("required")), max_length=desc.get("size") or None,
        enum_values=tuple(str(v[0]) for v in desc.get("selection") or ()),
        reference=desc.get("relation") if ttype in ("many2one", "one2many", "many2many") else None,
        is_key=name == "id", is_custom=bool(desc.get("manual")), readonly=bool(desc.get("readonly")), native_type=ttype,
    )


def _wire(ttype: str, value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")  # binary fields travel as base64 text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime(DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if ttype in ("many2one", "integer", "many2one_reference") and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if ttype == "many2many" and isinstance(value, (list, tuple)) and all(isinstance(v, (int, str)) for v in value):
        return [[6, 0, [int(v) for v in value]]]
    if not isinstance(value, (str, int, float, bool, list, tuple, dict)):
        raise TypeError(f"{type(value).__name__} values cannot be sent to Odoo")
    return value


def _flat(ttype: str, value: Any) -> Any:
    if ttype == "boolean":
        return bool(value)
    if ttype == "many2one":
        return int(value[0]) if value else None
    if ttype in ("one2many", "many2many"):
        return [int(v) for v in value or []]
    if ttype in ("integer", "many2one_reference"):
        return int(value or 0)
    if ttype in ("float", "monetary"):
        return Decimal(str(value or 0))
    if value is False or value is None:
        return None
    if ttype == "date":
        return date.fromisoformat(str(value)[:10])
    if ttype == "datetime":
        return datetime.strptime(str(value)[:19], DATETIME)
    return value


def _iso(value: Any) -> str | None:
    if not value:
        return None
    return datetime.strptime(str(value)[:19], DATETIME).replace(tzinfo=timezone.utc).isoformat()


def from_settings(options: Mapping[str, Any], root: Path, *, client: httpx.Client | None = None,
                  policy: RetryPolicy | None = None) -> OdooDestination:
    """The Odoo destination for [destination] in bridgework.toml; credentials from BRIDGEWORK_ODOO_*."""
    url = str(options.get("url") or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError("The Odoo url is missing.", hint="Set url in [destination] of bridgework.toml (or BRIDGEWORK_ODOO_URL).")
    db = require_secret("BRIDGEWORK_ODOO_DB", "Odoo database name")
    user = require_secret("BRIDGEWORK_ODOO_USER", "Odoo login")
    password = require_secret("BRIDGEWORK_ODOO_PASSWORD", "Odoo password or API key")
    protocol: Protocol = options.get("protocol", "jsonrpc")
    http = client or make_client(url, timeout=float(options.get("timeout", 130.0)))
    return OdooDestination(OdooRPC(http, url, db, user, password, protocol=protocol, policy=policy))
