"""Tables, the registry (base + custom models/fields), defaults and the per-model side effects of the emulator."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectors.emulators._odoo_domain import UserError, ValidationError
from connectors.emulators._odoo_models import (
    ADDRESS_FIELDS,
    DEMO_DATA,
    FieldDef,
    ModelDef,
    custom_model,
    declarations,
)

if TYPE_CHECKING:
    from connectors.emulators._odoo_orm import Env, OdooStore

FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
MODEL_NAME = re.compile(r"[a-z0-9_.]+")


def _sql_type(f: FieldDef) -> str:
    from connectors.emulators._odoo_orm import SQL_TYPES

    return SQL_TYPES.get(f.type, "TEXT")


def create_table(store: OdooStore, model: ModelDef) -> None:
    """The model's table, its indexes included."""
    cols = ", ".join(f'"{f.name}" {_sql_type(f)}' for f in model.fields.values() if f.column and f.name != "id")
    store.db.execute(f"CREATE TABLE {model.table} (id INTEGER PRIMARY KEY AUTOINCREMENT, {cols})")
    for f in model.fields.values():
        if f.index and f.column:
            store.db.execute(f"CREATE INDEX {model.table}__{f.name}_index ON {model.table} ({f.name})")


def _field_row(model_id: int, model: ModelDef, f: FieldDef, state: str) -> dict[str, Any]:
    return {"name": f.name, "model": model.name, "model_id": model_id, "field_description": f.string, "help": f.help,
            "ttype": f.type, "relation": f.relation, "relation_field": f.relation_field, "required": int(f.required),
            "readonly": int(f.readonly), "index": int(f.index), "store": int(f.store), "size": f.size or 0,
            "state": state, "on_delete": f.on_delete}


def _insert(store: OdooStore, table: str, row: dict[str, Any]) -> int:
    from connectors.emulators._odoo_orm import now_string

    row = {**row, "create_date": now_string(), "write_date": now_string(), "create_uid": 1, "write_uid": 1}
    names = ",".join(f'"{c}"' for c in row)
    cur = store.db.execute(f"INSERT INTO {table} ({names}) VALUES ({','.join('?' * len(row))})", list(row.values()))
    return int(cur.lastrowid or 0)


def register_model_rows(store: OdooStore, model: ModelDef, state: str) -> int:
    """ir.model + ir.model.fields rows describing `model`."""
    model_id = _insert(store, "ir_model", {"name": model.description, "model": model.name, "state": state, "transient": 0})
    for f in model.fields.values():
        _insert(store, "ir_model_fields", _field_row(model_id, model, f, "manual" if f.manual else "base"))
    return model_id


def install(store: OdooStore) -> None:
    """A fresh database: every table, the metadata rows, the demo company's records and the admin's credentials."""
    from connectors.emulators._odoo_orm import Env

    store.models = {m.name: m for m in declarations()}
    for model in store.models.values():
        create_table(store, model)
    for model in store.models.values():
        register_model_rows(store, model, "base")
    store.db.execute("CREATE TABLE _auth (uid INTEGER PRIMARY KEY, password TEXT, api_key TEXT)")
    store.load_registry()
    env = Env(1)
    for model_name, xmlid, values in DEMO_DATA:
        (rid,) = store.create(env, store.model(model_name), [values])
        module, name = xmlid.split(".", 1)
        store.xmlid(model_name, rid, module, name)


def registry(store: OdooStore) -> dict[str, ModelDef]:
    """Declared models plus the custom ones and custom fields recorded in the database."""
    models = {m.name: m for m in declarations()}
    for row in store.q("SELECT model, name FROM ir_model WHERE state='manual' ORDER BY id"):
        models[row["model"]] = custom_model(row["model"], row["name"])
    options: dict[int, list[list[str]]] = {}
    for row in store.q("SELECT field_id, value, name FROM ir_model_fields_selection ORDER BY sequence, id"):
        options.setdefault(row["field_id"], []).append([row["value"], row["name"]])
    for row in store.q("SELECT * FROM ir_model_fields WHERE state='manual' ORDER BY id"):
        model = models.get(row["model"])
        if model is None:
            continue
        model.fields[row["name"]] = FieldDef(
            name=row["name"], type=row["ttype"], string=row["field_description"], required=bool(row["required"]),
            readonly=bool(row["readonly"]), size=row["size"] or None, relation=row["relation"] or None,
            relation_field=row["relation_field"] or None, selection=options.get(row["id"], []) if row["ttype"] == "selection" else None,
            help=row["help"] or None, store=row["ttype"] != "one2many", manual=True, on_delete=row["on_delete"] or "set null",
            index=bool(row["index"]),
        )
    return models


# -- defaults and side effects ------------------------------------------------
def defaults(store: OdooStore, env: Env, model: ModelDef, given: dict[str, Any]) -> dict[str, Any]:
    """Default values for the fields `given` leaves out."""
    out = {f.name: (1 if f.default is True else 0 if f.default is False else f.default)
           for f in model.fields.values() if f.default is not None and f.name not in given and f.column}
    user_partner = {"mail.message": "author_id"}
    if model.name == "crm.lead":
        out.setdefault("user_id", env.uid)
        out.setdefault("team_id", 1)
        first = store.q("SELECT id FROM crm_stage ORDER BY sequence, id LIMIT 1")
        if first and "stage_id" not in given:
            out["stage_id"] = first[0][0]
    if model.name in ("mail.activity", "calendar.event"):
        out.setdefault("user_id", env.uid)
    if model.name == "mail.message":
        from connectors.emulators._odoo_orm import now_string

        out.setdefault("date", now_string())
    for model_name, field in user_partner.items():
        if model.name == model_name and field not in given:
            row = store.q("SELECT partner_id FROM res_users WHERE id=?", (env.uid,))
            out[field] = row[0][0] if row else None
    if model.name == "ir.model.fields" and "model_id" in given:
        row = store.q("SELECT model FROM ir_model WHERE id=?", (given["model_id"],))
        out["model"] = row[0][0] if row else None
    return out


def before_create(store: OdooStore, env: Env, model: ModelDef, row: dict[str, Any]) -> None:
    """Computed/validated values of one record about to be inserted."""
    if model.name == "res.partner":
        row["complete_name"] = row.get("name")
    elif model.name == "crm.lead":
        if not row.get("name") and row.get("partner_id"):
            partner = store.q("SELECT name FROM res_partner WHERE id=?", (row["partner_id"],))
            if partner and partner[0][0]:
                row["name"] = f"{partner[0][0]}'s opportunity"
        _won_stage(store, row)
    elif model.name in ("mail.activity", "calendar.event"):
        _resolve_res_model(store, row)
    elif model.name == "ir.attachment":
        store.attachment_values(row)
    elif model.name == "ir.model":
        _check_model_name(store, row)
    elif model.name == "ir.model.fields":
        _check_field(store, row)


def _won_stage(store: OdooStore, values: dict[str, Any]) -> None:
    """Moving a lead into a won stage sets probability 100 and date_closed now, as crm.lead.write does."""
    from connectors.emulators._odoo_orm import now_string

    if values.get("stage_id"):
        won = store.q("SELECT is_won FROM crm_stage WHERE id=?", (values["stage_id"],))
        if won and won[0][0]:
            values.update(probability=100.0, date_closed=now_string())


def _resolve_res_model(store: OdooStore, row: dict[str, Any]) -> None:
    if row.get("res_model_id"):
        found = store.q("SELECT model FROM ir_model WHERE id=?", (row["res_model_id"],))
        row["res_model"] = found[0][0] if found else None


def _check_model_name(store: OdooStore, row: dict[str, Any]) -> None:
    name = row.get("model") or ""
    if not MODEL_NAME.fullmatch(name):
        raise ValidationError("The model name can only contain lowercase characters, digits, underscores and dots.")
    if row.get("state", "manual") == "manual" and not name.startswith("x_"):
        raise ValidationError("The model name must start with 'x_'.")
    if store.q("SELECT 1 FROM ir_model WHERE model=?", (name,)):
        raise ValidationError("The operation cannot be completed: Each model must have a unique name.")


def _check_field(store: OdooStore, row: dict[str, Any]) -> None:
    name = row.get("name") or ""
    if row.get("state", "manual") == "manual" and not name.startswith("x_"):
        raise ValidationError("Custom fields must have a name that starts with 'x_'!")
    if not FIELD_NAME.fullmatch(name):
        raise ValidationError("Field names can only contain characters, digits and underscores (up to 63).")
    if row.get("model") is None:
        raise ValidationError("The operation cannot be completed: another model requires the record being deleted. "
                              "If possible, archive it instead.\n\nModel: Fields (ir.model.fields), Constraint: ir_model_fields_model_id_fkey")
    if store.q("SELECT 1 FROM ir_model_fields WHERE model=? AND name=?", (row["model"], name)):
        raise ValidationError("The operation cannot be completed: Field names must be unique per model.")
    if row.get("ttype") in ("many2one", "many2many", "one2many"):
        relation = row.get("relation")
        if not relation or relation not in store.models:
            raise UserError(f"Unknown model name '{relation}' in Related Model")
        if row["ttype"] == "one2many" and not row.get("relation_field"):
            raise UserError("One2many fields need a relation field (the inverse many2one).")


def after_create(store: OdooStore, env: Env, model: ModelDef, rid: int, row: dict[str, Any]) -> None:
    """DDL for new custom models and fields: the table/column exists when the call returns."""
    if model.name == "ir.model":
        new = custom_model(row["model"], row["name"])
        create_table(store, new)
        for f in new.fields.values():
            _insert(store, "ir_model_fields", _field_row(rid, new, f, "manual" if f.manual else "base"))
        store.load_registry()
    elif model.name == "ir.model.fields":
        f = FieldDef(name=row["name"], type=row["ttype"], string=row["field_description"], store=row["ttype"] != "one2many")
        table = str(row["model"]).replace(".", "_")
        if f.column:
            store.db.execute(f'ALTER TABLE {table} ADD COLUMN "{f.name}" {_sql_type(f)}')
            if f.type == "many2many":
                store.db.execute(f"UPDATE {table} SET {f.name}='[]'")
            if row.get("index"):
                store.db.execute(f"CREATE INDEX {table}__{f.name}_index ON {table} ({f.name})")
        store.load_registry()
    elif model.name == "ir.model.fields.selection":
        store.load_registry()


def before_write(store: OdooStore, env: Env, model: ModelDef, ids: list[int], columns: dict[str, Any]) -> None:
    """Refuse changes Odoo refuses on metadata; keep res_model in step with res_model_id."""
    if model.name in ("ir.model", "ir.model.fields") and ({"name", "model", "ttype", "model_id"} & set(columns)):
        raise UserError("Changing the storing system for a field or renaming it is not allowed through this emulator.")
    if model.name in ("mail.activity", "calendar.event") and "res_model_id" in columns:
        _resolve_res_model(store, columns)
    if model.name == "crm.lead":
        _won_stage(store, columns)
    if model.name == "ir.attachment" and "datas" in columns:
        current = store.q("SELECT name FROM ir_attachment WHERE id=?", (ids[0],))
        probe = {"name": columns.get("name") or (current[0][0] if current else ""), "datas": columns["datas"]}
        store.attachment_values(probe)
        columns.update(mimetype=probe["mimetype"], file_size=probe["file_size"])


def after_write(store: OdooStore, env: Env, model: ModelDef, ids: list[int], columns: dict[str, Any]) -> None:
    """res.partner: re-parenting copies the parent's address; address edits flow down to contact children."""
    if model.name == "ir.model.fields":
        store.load_registry()
    if model.name != "res.partner":
        return
    marks = ",".join("?" * len(ids))
    sets = ",".join(f"{a}=?" for a in ADDRESS_FIELDS)
    if "parent_id" in columns or "type" in columns:
        for row in store.q(f"SELECT id, parent_id, type FROM res_partner WHERE id IN ({marks})", ids):
            if row["parent_id"] and row["type"] == "contact":
                parent = store.q("SELECT * FROM res_partner WHERE id=?", (row["parent_id"],))[0]
                if any(parent[a] for a in ADDRESS_FIELDS):
                    store.db.execute(f"UPDATE res_partner SET {sets} WHERE id=?", (*(parent[a] for a in ADDRESS_FIELDS), row["id"]))
    if set(ADDRESS_FIELDS) & set(columns):
        for row in store.q(f"SELECT * FROM res_partner WHERE id IN ({marks})", ids):
            store.db.execute(f"UPDATE res_partner SET {sets} WHERE parent_id=? AND type='contact'",
                             (*(row[a] for a in ADDRESS_FIELDS), row["id"]))
    if {"name", "parent_id", "is_company"} & set(columns):
        store.db.execute(
            f"UPDATE res_partner SET complete_name = CASE WHEN parent_id IS NOT NULL AND COALESCE(is_company, 0) = 0 "
            f"THEN (SELECT p.name FROM res_partner p WHERE p.id = res_partner.parent_id) || ', ' || name ELSE name END "
            f"WHERE id IN ({marks}) OR parent_id IN ({marks})", ids + ids)
    if "name" in columns or "type" in columns:
        for row in store.q(f"SELECT type, name FROM res_partner WHERE id IN ({marks})", ids):
            if row["type"] == "contact" and not row["name"]:
                raise ValidationError("The operation cannot be completed: Contacts require a name")


def before_unlink(store: OdooStore, env: Env, model: ModelDef, ids: list[int]) -> None:
    """Base metadata cannot be removed; custom fields/models lose their column/table."""
    marks = ",".join("?" * len(ids))
    if model.name == "ir.model.fields":
        rows = store.q(f"SELECT * FROM ir_model_fields WHERE id IN ({marks})", ids)
        if any(r["state"] != "manual" for r in rows):
            raise UserError("This column contains module data and cannot be removed!")
        for r in rows:
            table = str(r["model"]).replace(".", "_")
            if store.q("SELECT 1 FROM ir_model WHERE model=?", (r["model"],)) and r["ttype"] != "one2many":
                store.db.execute(f"DROP INDEX IF EXISTS {table}__{r['name']}_index")
                store.db.execute(f"ALTER TABLE {table} DROP COLUMN {r['name']}")
    elif model.name == "ir.model":
        rows = store.q(f"SELECT * FROM ir_model WHERE id IN ({marks})", ids)
        if any(r["state"] != "manual" for r in rows):
            raise UserError(f"Model '{rows[0]['model']}' contains module data and cannot be removed.")
        for r in rows:
            store.db.execute("DELETE FROM ir_model_fields WHERE model_id=? AND state='base'", (r["id"],))
            manual = [x[0] for x in store.q("SELECT id FROM ir_model_fields WHERE model_id=?", (r["id"],))]
            if manual:
                store.db.execute(f"DELETE FROM ir_model_fields_selection WHERE field_id IN ({','.join('?' * len(manual))})", manual)
                store.db.execute(f"DELETE FROM ir_model_fields WHERE id IN ({','.join('?' * len(manual))})", manual)
            store.db.execute(f"DROP TABLE IF EXISTS {str(r['model']).replace('.', '_')}")
            store.db.execute("DELETE FROM ir_model_data WHERE model=?", (r["model"],))


def after_unlink(store: OdooStore, env: Env, model: ModelDef, ids: list[int]) -> None:
    """Reload the registry after metadata changes."""
    if model.name in ("ir.model", "ir.model.fields", "ir.model.fields.selection"):
        store.load_registry()
