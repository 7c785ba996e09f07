"""The emulator's ORM: Odoo 18 create/read/write/unlink/search semantics over SQLite (one table per model)."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from connectors.emulators import _odoo_schema as schema
from connectors.emulators._odoo_domain import DomainCompiler, MissingError, ValidationError, like_match
from connectors.emulators._odoo_models import ADDRESS_FIELDS, MAGIC_FIELDS, FieldDef, ModelDef

MANDATORY = (
    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
    "- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"
)
SQL_TYPES = {"integer": "INTEGER", "boolean": "INTEGER", "many2one": "INTEGER", "many2one_reference": "INTEGER",
             "float": "REAL", "monetary": "REAL"}
EMPTY = {"integer": 0, "many2one_reference": 0, "float": 0.0, "monetary": 0.0, "one2many": [], "many2many": []}
PARTNER_OWNERS = {
    "res.company": ("email", "phone", "website", "vat", "country_id", "street", "street2", "city", "zip", "state_id"),
    "res.users": ("email",),
}
"""Models whose create makes the record's partner when vals give no partner_id, and the values it takes."""
THREAD_CHILDREN = {"mail.message": "model", "mail.activity": "res_model", "ir.attachment": "res_model"}


def quote(name: str) -> str:
    """A column name as an SQL identifier (Odoo has fields called `index`)."""
    return f'"{name}"'


def now_string() -> str:
    """Odoo's server datetime format, UTC."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def to_date(value: Any) -> str:
    """fields.Date.to_date: the first 10 characters must be YYYY-MM-DD (ValueError otherwise)."""
    return datetime.strptime(str(value)[:10], "%Y-%m-%d").strftime("%Y-%m-%d")


def to_datetime(value: Any) -> str:
    """fields.Datetime.to_datetime: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (ISO 'T' is refused, as in Odoo)."""
    text = str(value)
    if len(text) == 10:
        return to_date(text) + " 00:00:00"
    return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").strftime("%Y-%m-%d %H:%M:%S")


def event_stop(start: str, duration: Any, allday: bool) -> str:
    """calendar.event._compute_stop: start + duration hours (1 when unset), a second less for all-day events."""
    stop = datetime.strptime(start, "%Y-%m-%d %H:%M:%S") + timedelta(minutes=round(float(duration or 1.0) * 60))
    return (stop - timedelta(seconds=1) if allday else stop).strftime("%Y-%m-%d %H:%M:%S")


class Env:
    """Who calls, with which context."""

    def __init__(self, uid: int, context: dict[str, Any] | None = None) -> None:
        self.uid = uid
        self.context = dict(context or {})


class OdooStore:
    """One emulated database: SQLite file, model registry, and the ORM methods."""

    def __init__(self, path: Path | None) -> None:
        if path is None:
            path = Path(tempfile.mkdtemp(prefix="bw-odoo-")) / "odoo.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.create_function("odoo_like", 3, like_match, deterministic=True)
        self.lock = threading.RLock()
        self.models: dict[str, ModelDef] = {}
        fresh = not self.db.execute("SELECT 1 FROM sqlite_master WHERE name='ir_model'").fetchone()
        if fresh:
            with self.transaction():
                schema.install(self)
        self.load_registry()

    # -- plumbing ---------------------------------------------------------
    def load_registry(self) -> None:
        """Base declarations plus every custom model/field stored in ir_model / ir_model_fields."""
        self.models = schema.registry(self)
        self.compiler = DomainCompiler(self.models)

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[None]:
        """One RPC call = one transaction; the registry is reloaded when a failed call touched it."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                self.load_registry()
                raise
            if commit:
                self.db.execute("COMMIT")
            else:
                self.db.execute("ROLLBACK")
                self.load_registry()

    def model(self, name: str) -> ModelDef:
        """The model called `name` (KeyError when unknown)."""
        return self.models[name]

    def q(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Run a query, all rows."""
        return self.db.execute(sql, params).fetchall()

    # -- values -----------------------------------------------------------
    def _convert(self, model: ModelDef, f: FieldDef, value: Any) -> Any:
        if f.type in ("one2many", "many2many"):
            return value
        if f.type == "boolean":
            return 1 if value else 0
        if f.type in ("integer", "many2one_reference"):
            return int(value or 0)
        if f.type in ("float", "monetary"):
            return float(value or 0.0)
        if value is False or value is None:
            return None
        if f.type == "char":
            text = str(value)
            return text[: f.size] if f.size else text  # Odoo truncates silently to size
        if f.type in ("text", "html"):
            return str(value)
        if f.type == "date":
            return to_date(value)
        if f.type == "datetime":
            return to_datetime(value)
        if f.type == "selection":
            if value not in [opt[0] for opt in f.selection or []]:
                raise ValueError(f"Wrong value for {model.name}.{f.name}: {value!r}")
            return value
        if f.type == "many2one":
            if isinstance(value, (list, tuple)):
                value = value[0]
            return int(value)
        if f.type == "binary":
            text = value.decode() if isinstance(value, bytes) else str(value)
            base64.b64decode(text, validate=True)
            return text
        return value

    def prepare(self, model: ModelDef, vals: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Column values and x2many commands from RPC vals; unknown fields raise, magic fields are dropped."""
        columns: dict[str, Any] = {}
        x2many: dict[str, Any] = {}
        for key, value in vals.items():
            f = model.fields.get(key)
            if f is None:
                raise ValueError(f"Invalid field {key!r} on model {model.name!r}")
            if key in MAGIC_FIELDS or key in ("id", "display_name"):
                continue  # Odoo silently ignores these in create/write
            if key == "company_type" and model.name == "res.partner":
                columns["is_company"] = 1 if self._convert(model, f, value) == "company" else 0
                continue
            if not f.store:
                continue
            converted = self._convert(model, f, value)
            if f.type in ("one2many", "many2many"):
                x2many[key] = converted
            else:
                columns[key] = converted
        return columns, x2many

    def _check_references(self, model: ModelDef, rows: list[dict[str, Any]]) -> None:
        for f in model.fields.values():
            if f.type != "many2one" or not f.column or f.name in MAGIC_FIELDS:
                continue
            wanted = {r[f.name] for r in rows if r.get(f.name) is not None}
            if not wanted:
                continue
            comodel = self.model(str(f.relation))
            found = {r[0] for r in self.q(f"SELECT id FROM {comodel.table} WHERE id IN ({','.join('?' * len(wanted))})", list(wanted))}
            if wanted - found:
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    f"If possible, archive it instead.\n\nModel: {model.description} ({model.name}), "
                    f"Constraint: {model.table}_{f.name}_fkey"
                )

    def _check_required(self, model: ModelDef, row: dict[str, Any]) -> None:
        for f in model.fields.values():
            if f.required and f.column and row.get(f.name) is None:
                raise ValidationError(MANDATORY + f"Model: {model.description} ({model.name})\nField: {f.string} ({f.name})\n")
        if model.name == "res.partner" and row.get("type") == "contact" and not row.get("name"):
            raise ValidationError("The operation cannot be completed: Contacts require a name")

    # -- create -----------------------------------------------------------
    def create(self, env: Env, model: ModelDef, vals_list: list[dict[str, Any]]) -> list[int]:
        """Insert records in one statement; any invalid record raises and nothing is kept."""
        stamp = now_string()
        rows, commands = [], []
        vals_list = self._missing_partners(env, model, vals_list)
        for vals in vals_list:
            if not isinstance(vals, dict):
                raise TypeError("create() expects a dict or a list of dicts")
            columns, x2many = self.prepare(model, vals)
            row = {**schema.defaults(self, env, model, columns), **columns}
            row.update(create_date=stamp, write_date=stamp, create_uid=env.uid, write_uid=env.uid)
            schema.before_create(self, env, model, row)
            if model.name == "calendar.event" and row.get("stop") is None and row.get("start"):
                row["stop"] = event_stop(str(row["start"]), row.get("duration"), bool(row.get("allday")))
            self._check_required(model, row)
            rows.append(row)
            commands.append(x2many)
        self._check_references(model, rows)
        if model.name == "res.partner":
            self._sync_partner_addresses(rows)
        seq = self.q("SELECT seq FROM sqlite_sequence WHERE name=?", (model.table,))
        top = self.q(f"SELECT COALESCE(MAX(id), 0) FROM {model.table}")[0][0]
        first = max(seq[0][0] if seq else 0, top) + 1
        ids = list(range(first, first + len(rows)))
        cols = [f.name for f in model.fields.values() if f.column and f.name != "id" and f.type != "many2many"]
        m2m = [f.name for f in model.fields.values() if f.type == "many2many" and f.column]
        all_cols = ["id", *cols, *m2m]
        self.db.executemany(
            f"INSERT INTO {model.table} ({','.join(map(quote, all_cols))}) VALUES ({','.join('?' * len(all_cols))})",
            [(rid, *(row.get(c) for c in cols), *("[]" for _ in m2m)) for rid, row in zip(ids, rows)],
        )
        for rid, row, x2many in zip(ids, rows, commands):
            self._apply_x2many(env, model, [rid], x2many)
            schema.after_create(self, env, model, rid, row)
        return ids

    def _missing_partners(self, env: Env, model: ModelDef, vals_list: list[Any]) -> list[Any]:
        """res.company and res.users create their partner when vals name none, as Odoo does.

        res.company.create makes an `is_company` partner from the name, email, phone, website, vat and
        country (its address fields are the partner's, through their inverses); res.users `_inherits`
        res.partner, so a user without partner_id gets one from its name and email.
        """
        if model.name not in PARTNER_OWNERS:
            return vals_list
        partner_model = self.model("res.partner")
        wanted = [v for v in vals_list if isinstance(v, dict) and v.get("name") and not v.get("partner_id")]
        if not wanted:
            return vals_list
        carried = PARTNER_OWNERS[model.name]
        partners = [{"name": v["name"], **({"is_company": True} if model.name == "res.company" else {}),
                     **{k: v[k] for k in carried if v.get(k) not in (None, False, "") and k in partner_model.fields}}
                    for v in wanted]
        ids = iter(self.create(env, partner_model, partners))
        marked = {id(w) for w in wanted}
        return [{**v, "partner_id": next(ids)} if id(v) in marked else v for v in vals_list]

    def _apply_x2many(self, env: Env, model: ModelDef, ids: list[int], commands: dict[str, Any]) -> None:
        for name, value in commands.items():
            f = model.fields[name]
            comodel = self.model(str(f.relation))
            for rid in ids:
                if f.type == "many2many":
                    current = json.loads(self.q(f"SELECT {name} FROM {model.table} WHERE id=?", (rid,))[0][0] or "[]")
                    current = self._m2m_commands(env, comodel, current, value)
                    self.db.execute(f"UPDATE {model.table} SET {name}=? WHERE id=?", (json.dumps(current), rid))
                else:
                    for command in value or []:
                        if command[0] == 0:
                            self.create(env, comodel, [{**command[2], str(f.relation_field): rid}])
                        elif command[0] == 2:
                            self.unlink(env, comodel, [command[1]])

    def _m2m_commands(self, env: Env, comodel: ModelDef, current: list[int], value: Any) -> list[int]:
        for command in value or []:
            if isinstance(command, int):  # a bare list of ids means "set"
                return [int(v) for v in value]
            code = command[0]
            if code == 6:
                current = [int(v) for v in command[2]]
            elif code == 4 and command[1] not in current:
                current.append(int(command[1]))
            elif code in (3, 2):
                current = [v for v in current if v != command[1]]
            elif code == 5:
                current = []
            elif code == 0:
                current += self.create(env, comodel, [command[2]])
        return current

    def _sync_partner_addresses(self, rows: list[dict[str, Any]]) -> None:
        """type='contact' children take their parent's address; an address-less parent takes its first child's."""
        parents = {r["parent_id"] for r in rows if r.get("parent_id") and r.get("type") == "contact"}
        if not parents:
            return
        found = {r["id"]: dict(r) for r in self.q(f"SELECT * FROM res_partner WHERE id IN ({','.join('?' * len(parents))})", list(parents))}
        for row in rows:
            parent = found.get(row.get("parent_id"))
            if parent is None or row.get("type") != "contact":
                continue
            if any(parent[a] for a in ADDRESS_FIELDS):
                row.update({a: parent[a] for a in ADDRESS_FIELDS})
            elif any(row.get(a) for a in ADDRESS_FIELDS):
                parent.update({a: row.get(a) for a in ADDRESS_FIELDS})
                sets = ",".join(f"{a}=?" for a in ADDRESS_FIELDS)
                self.db.execute(f"UPDATE res_partner SET {sets} WHERE id=?", (*(row.get(a) for a in ADDRESS_FIELDS), parent["id"]))
            row["complete_name"] = f"{parent['name']}, {row.get('name')}" if not row.get("is_company") else row.get("name")

    # -- read -------------------------------------------------------------
    def existing(self, model: ModelDef, ids: list[int]) -> list[int]:
        """The ids (in the given order, without repeats) that exist."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return []
        found = set()
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            found |= {r[0] for r in self.q(f"SELECT id FROM {model.table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
        return [i for i in wanted if i in found]

    def display_names(self, model: ModelDef, ids: set[int]) -> dict[int, str]:
        """id -> display name, as many2one values show it."""
        if not ids:
            return {}
        rec = model.rec_name if model.rec_name in model.fields else "id"
        fallback = "name" if "name" in model.fields and rec != "name" else rec
        rows = self.q(f"SELECT id, {rec}, {fallback} FROM {model.table} WHERE id IN ({','.join('?' * len(ids))})", list(ids))
        return {r[0]: str(r[1] or r[2] or f"{model.name},{r[0]}") for r in rows}

    def read(self, model: ModelDef, ids: list[int], fields: list[str] | None) -> list[dict[str, Any]]:
        """Odoo `read`: missing ids left out; many2one as [id, name] or False; never None."""
        names = list(fields) if fields else [n for n in model.fields]
        for name in names:
            if name not in model.fields:
                raise ValueError(f"Invalid field {name!r} on model {model.name!r}")
        order = self.existing(model, ids)
        if not order:
            return []
        marks = ",".join("?" * len(order))
        rows = {r["id"]: dict(r) for r in self.q(f"SELECT * FROM {model.table} WHERE id IN ({marks})", order)}
        out = {rid: {"id": rid} for rid in order}
        for name in names:
            f = model.fields[name]
            if f.type == "many2one":
                comodel = self.model(str(f.relation))
                labels = self.display_names(comodel, {r[name] for r in rows.values() if r[name]})
                for rid in order:
                    ref = rows[rid][name]
                    out[rid][name] = [ref, labels.get(ref, "")] if ref else False
            elif f.type == "one2many":
                values = self._one2many(f, order, model.name)
                for rid in order:
                    out[rid][name] = values.get(rid, [])
            elif name == "display_name":
                labels = self.display_names(model, set(order))
                for rid in order:
                    out[rid][name] = labels.get(rid, False)
            elif name == "company_type":
                for rid in order:
                    out[rid][name] = "company" if rows[rid]["is_company"] else "person"
            elif name == "complete_name" and model.name == "ir.model.data":
                for rid in order:
                    out[rid][name] = f"{rows[rid]['module']}.{rows[rid]['name']}"
            else:
                for rid in order:
                    out[rid][name] = self._output(f, rows[rid].get(name))
        return [out[rid] for rid in order]

    def _output(self, f: FieldDef, value: Any) -> Any:
        if f.type == "many2many":
            return json.loads(value or "[]")
        if value is None:
            return EMPTY.get(f.type, False)
        if f.type == "boolean":
            return bool(value)
        return value

    def _one2many(self, f: FieldDef, ids: list[int], model_name: str) -> dict[int, list[int]]:
        comodel = self.model(str(f.relation))
        inverse = str(f.relation_field)
        extra, params = "", list(ids)
        if comodel.name in THREAD_CHILDREN and inverse == "res_id":
            extra = f" AND {THREAD_CHILDREN[comodel.name]} = ?"
            params.append(model_name)
        out: dict[int, list[int]] = {}
        sql = f"SELECT id, {inverse} FROM {comodel.table} WHERE {inverse} IN ({','.join('?' * len(ids))}){extra} ORDER BY id"
        for r in self.q(sql, params):
            out.setdefault(r[1], []).append(r[0])
        return out

    # -- search -----------------------------------------------------------
    def search(self, env: Env, model: ModelDef, domain: list[Any] | None, offset: int = 0, limit: int | None = None,
               order: str | None = None, count: bool = False) -> Any:
        """Ids matching `domain` (archived records hidden unless the domain names `active`)."""
        where, params = self.compiler.compile(model, domain, env.context.get("active_test", True))
        if count:
            return self.q(f"SELECT COUNT(*) FROM {model.table} WHERE {where}", params)[0][0]
        sql = f"SELECT id FROM {model.table} WHERE {where} ORDER BY {self._order(model, order)}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        if offset:
            sql += ("" if limit else " LIMIT -1") + f" OFFSET {int(offset)}"
        return [r[0] for r in self.q(sql, params)]

    def _order(self, model: ModelDef, order: str | None) -> str:
        parts = []
        for part in (order or model.order).split(","):
            words = part.strip().split()
            if not words:
                continue
            name, direction = words[0], (words[1].upper() if len(words) > 1 else "ASC")
            f = model.fields.get(name)
            if f is None or not f.column or direction not in ("ASC", "DESC") or len(words) > 2:
                raise ValueError(f"Invalid \"order\" specified ({order}).")
            parts.append(f"{name} {direction}")
        return ", ".join(parts + ["id"]) if parts else "id"

    # -- write / unlink ---------------------------------------------------
    def ensure(self, env: Env, model: ModelDef, ids: list[int]) -> list[int]:
        """The ids, or MissingError naming the missing ones (as Odoo does on write/field access)."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        found = self.existing(model, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing) + ("," if len(missing) == 1 else "")
            raise MissingError(f"Record does not exist or has been deleted.\n(Record: {model.name}({shown}), User: {env.uid})")
        return ids

    def write(self, env: Env, model: ModelDef, ids: list[int], vals: dict[str, Any]) -> bool:
        """The same values on every id; write_date always now."""
        ids = self.ensure(env, model, ids)
        columns, x2many = self.prepare(model, vals)
        schema.before_write(self, env, model, ids, columns)
        for name, value in columns.items():
            f = model.fields[name]
            if f.required and value is None:
                raise ValidationError(MANDATORY + f"Model: {model.description} ({model.name})\nField: {f.string} ({f.name})\n")
        self._check_references(model, [columns])
        columns.update(write_date=now_string(), write_uid=env.uid)
        if ids:
            sets = ",".join(f"{quote(c)}=?" for c in columns)
            self.db.execute(f"UPDATE {model.table} SET {sets} WHERE id IN ({','.join('?' * len(ids))})", [*columns.values(), *ids])
            self._apply_x2many(env, model, ids, x2many)
            schema.after_write(self, env, model, ids, columns)
        return True

    def unlink(self, env: Env, model: ModelDef, ids: list[int]) -> bool:
        """Delete for good: restrict references refuse, cascade/set null follow, xmlids and chatter go too."""
        ids = self.existing(model, ids)
        if not ids:
            return True
        schema.before_unlink(self, env, model, ids)
        marks = ",".join("?" * len(ids))
        for other in list(self.models.values()):
            for f in other.fields.values():
                if f.type != "many2one" or f.relation != model.name or not f.column:
                    continue
                refs = [r[0] for r in self.q(f"SELECT id FROM {other.table} WHERE {f.name} IN ({marks})", ids)]
                if other.name == model.name:
                    refs = [r for r in refs if r not in ids]
                if not refs:
                    continue
                if f.on_delete == "restrict":
                    raise ValidationError(
                        "The operation cannot be completed: another model requires the record being deleted. "
                        f"If possible, archive it instead.\n\nModel: {other.description} ({other.name}), "
                        f"Constraint: {other.table}_{f.name}_fkey"
                    )
                if f.on_delete == "cascade":
                    self.unlink(env, other, refs)
                else:
                    self.db.execute(f"UPDATE {other.table} SET {f.name}=NULL WHERE id IN ({','.join('?' * len(refs))})", refs)
        for child, column in THREAD_CHILDREN.items():
            self.db.execute(f"DELETE FROM {child.replace('.', '_')} WHERE {column}=? AND res_id IN ({marks})", [model.name, *ids])
        self.db.execute(f"DELETE FROM ir_model_data WHERE model=? AND res_id IN ({marks})", [model.name, *ids])
        self.db.execute(f"DELETE FROM {model.table} WHERE id IN ({marks})", ids)
        schema.after_unlink(self, env, model, ids)
        return True

    # -- helpers used by the RPC methods ----------------------------------
    def attachment_values(self, row: dict[str, Any]) -> None:
        """mimetype guessed from the name, file_size from the base64 content (both readonly in Odoo)."""
        row["mimetype"] = mimetypes.guess_type(row.get("name") or "")[0] or "application/octet-stream"
        try:
            row["file_size"] = len(base64.b64decode(row.get("datas") or ""))
        except binascii.Error:
            row["file_size"] = 0

    def xmlid(self, model: str, res_id: int, module: str, name: str) -> None:
        """Register module.name -> (model, res_id) in ir.model.data."""
        if not re.fullmatch(r"[^\s]+", name):
            raise ValidationError("The operation cannot be completed: External IDs cannot contain spaces")
        self.db.execute(
            "INSERT INTO ir_model_data (module, name, model, res_id, noupdate, create_date, write_date) VALUES (?,?,?,?,0,?,?)",
            (module, name, model, res_id, now_string(), now_string()),
        )

    def resolve_xmlid(self, module: str, name: str) -> tuple[str, int] | None:
        """(model, res_id) of module.name, or None."""
        rows = self.q("SELECT model, res_id FROM ir_model_data WHERE module=? AND name=?", (module, name))
        return (rows[0][0], rows[0][1]) if rows else None
