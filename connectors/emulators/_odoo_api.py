"""The model methods reachable over RPC (execute_kw and JSON-2): argument binding and each method's behaviour."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.emulators._odoo_domain import AccessError, UserError, ValidationError
from connectors.emulators._odoo_models import ModelDef
from connectors.emulators._odoo_orm import Env, OdooStore, now_string, to_date, to_datetime

NO_DEFAULT = object()
FIELD_ATTRIBUTES = ("type", "string", "help", "required", "readonly", "store", "manual", "relation", "relation_field",
                    "selection", "size", "name", "sortable", "searchable")


class BadArguments(Exception):
    """JSON-2 argument errors (werkzeug 422 UnprocessableEntity)."""


@dataclass(frozen=True)
class Signature:
    """A public method: model-level or record-level, its parameters (name, default) and whether it takes **kwargs."""

    model_level: bool
    params: tuple[tuple[str, Any], ...]
    var_kw: bool = False
    models: tuple[str, ...] = ()


def _p(*names: str, **defaults: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((n, NO_DEFAULT) for n in names) + tuple(defaults.items())


MAIL_THREADS = ("res.partner", "crm.lead", "calendar.event")
SIGNATURES: dict[str, Signature] = {
    "create": Signature(True, _p("vals_list")),
    "read": Signature(False, _p(fields=None, load="_classic_read")),
    "search": Signature(True, _p("domain", offset=0, limit=None, order=None)),
    "search_read": Signature(True, _p(domain=None, fields=None, offset=0, limit=None, order=None)),
    "search_count": Signature(True, _p("domain", limit=None)),
    "write": Signature(False, _p("vals")),
    "unlink": Signature(False, ()),
    "exists": Signature(False, ()),
    "fields_get": Signature(True, _p(allfields=None, attributes=None)),
    "load": Signature(True, _p("fields", "data")),
    "name_search": Signature(True, _p(name="", domain=None, operator="ilike", limit=100)),
    "message_post": Signature(False, (), var_kw=True, models=MAIL_THREADS),
    "action_feedback": Signature(False, _p(feedback=False, attachment_ids=None), models=("mail.activity",)),
    "action_done": Signature(False, (), models=("mail.activity",)),
}


def lookup(store: OdooStore, model_name: str, method: str) -> tuple[ModelDef, Signature]:
    """The model and method, or the error Odoo raises for a private, unknown or missing one."""
    if method.startswith("_"):
        raise AccessError(f"Private methods (such as '{model_name}.{method}') cannot be called remotely.")
    model = store.models.get(model_name)
    if model is None:
        raise UserError(f"Object {model_name} doesn't exist")
    sig = SIGNATURES.get(method)
    if sig is None or (sig.models and model_name not in sig.models):
        raise AttributeError(f"The method '{method}' does not exist on the model '{model_name}'")
    return model, sig


def bind(method: str, sig: Signature, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Positional + keyword arguments -> named parameters, with Python's TypeErrors."""
    bound: dict[str, Any] = {}
    names = [n for n, _ in sig.params]
    if len(args) > len(names) and not sig.var_kw:
        raise TypeError(f"{method}() takes {len(names) + 1} positional arguments but {len(args) + 1} were given")
    bound.update(zip(names, args))
    for key, value in kwargs.items():
        if key in bound:
            raise TypeError(f"{method}() got multiple values for argument '{key}'")
        if key not in names and not sig.var_kw:
            raise TypeError(f"{method}() got an unexpected keyword argument '{key}'")
        bound[key] = value
    for name, default in sig.params:
        if name not in bound:
            if default is NO_DEFAULT:
                raise TypeError(f"{method}() missing 1 required positional argument: '{name}'")
            bound[name] = default
    return bound


def execute_kw(store: OdooStore, uid: int, model_name: str, method: str, args: list[Any], kwargs: dict[str, Any],
               commit: bool = True) -> Any:
    """execute_kw(model, method, args, kwargs) in one transaction; record methods take the ids as args[0]."""
    kwargs = dict(kwargs or {})
    env = Env(uid, kwargs.pop("context", None))
    model, sig = lookup(store, model_name, method)
    args = list(args or [])
    ids: list[int] = []
    if not sig.model_level:
        if not args:
            raise TypeError(f"{method}() missing 1 required positional argument: 'ids'")
        first = args.pop(0)
        ids = [int(first)] if isinstance(first, int) else [int(i) for i in first or []]
    params = bind(method, sig, args, kwargs)
    with store.transaction(commit):
        return METHODS[method](store, env, model, ids, params)


def json2(store: OdooStore, uid: int, model_name: str, method: str, body: dict[str, Any], commit: bool = True) -> Any:
    """POST /json/2/<model>/<method>: named arguments, `ids` and `context` in the body."""
    body = dict(body)
    ids = body.pop("ids", None)
    context = body.pop("context", None)
    model, sig = lookup(store, model_name, method)
    if sig.model_level and ids:
        raise BadArguments(f"cannot call {model_name}.{method} with ids")
    for name, default in sig.params:
        if default is NO_DEFAULT and name not in body:
            raise BadArguments(f"missing a required argument: '{name}'")
    try:
        params = bind(method, sig, [], body)
    except TypeError as exc:
        raise BadArguments(str(exc)) from None
    with store.transaction(commit):
        return METHODS[method](store, Env(uid, context), model, [int(i) for i in ids or []], params)


# -- the methods ----------------------------------------------------------------
Method = Callable[[OdooStore, Env, ModelDef, list[int], dict[str, Any]], Any]


def _create(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    vals = p["vals_list"]
    if isinstance(vals, dict):
        return store.create(env, model, [vals])[0]
    return store.create(env, model, list(vals))


def _search(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    return store.search(env, model, p["domain"], p["offset"], p["limit"], p["order"])


def _search_read(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    found = store.search(env, model, p["domain"], p["offset"], p["limit"], p["order"])
    return store.read(model, found, p["fields"])


def _search_count(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    count = store.search(env, model, p["domain"], count=True)
    return min(count, p["limit"]) if p["limit"] else count


def fields_get(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    """{field: {attribute: value}}; None-valued attributes are left out, as Odoo does."""
    wanted = p["attributes"] or FIELD_ATTRIBUTES
    out = {}
    for f in model.fields.values():
        if p["allfields"] and f.name not in p["allfields"]:
            continue
        desc = {"type": f.type, "string": f.string, "help": f.help, "required": f.required, "readonly": f.readonly,
                "store": f.store, "manual": f.manual, "name": f.name, "sortable": f.column, "searchable": True,
                "relation": f.relation, "relation_field": f.relation_field,
                "selection": f.selection if f.type == "selection" else None,
                "size": f.size if f.type == "char" else None}
        out[f.name] = {k: v for k, v in desc.items() if k in wanted and v is not None}
    return out


def _name_search(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    domain = list(p["domain"] or []) + ([[model.rec_name, p["operator"], p["name"]]] if p["name"] else [])
    found = store.search(env, model, domain, limit=p["limit"])
    names = store.display_names(model, set(found))
    return [[i, names.get(i, "")] for i in found]


def message_post(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    """Post one chatter message on one record; plain-text bodies are escaped; `date` kept when given."""
    if len(ids) != 1:
        raise ValueError(f"Expected singleton: {model.name}({', '.join(map(str, ids))}{',' if len(ids) == 1 else ''})")
    store.ensure(env, model, ids)
    body = str(p.get("body") or "")
    if not p.get("body_is_html"):
        body = html.escape(body).replace("\n", "<br>")
    vals: dict[str, Any] = {"body": body, "model": model.name, "res_id": ids[0],
                            "message_type": p.get("message_type", "notification"), "subject": p.get("subject") or False}
    xmlid = p.get("subtype_xmlid") or ("mail.mt_note" if p.get("message_type", "notification") == "notification" else "mail.mt_comment")
    found = store.resolve_xmlid(*xmlid.split(".", 1))
    vals["subtype_id"] = p.get("subtype_id") or (found[1] if found else False)
    if p.get("date"):
        vals["date"] = p["date"]
    if p.get("author_id"):
        vals["author_id"] = p["author_id"]
    if p.get("attachment_ids"):
        vals["attachment_ids"] = [(6, 0, list(p["attachment_ids"]))]
    return store.create(env, store.model("mail.message"), [vals])[0]


def _activity_done(store: OdooStore, env: Env, model: ModelDef, ids: list[int], feedback: Any) -> Any:
    ids = store.ensure(env, model, ids)
    message_id: Any = False
    for activity in store.read(model, ids, ["res_model", "res_id", "activity_type_id", "summary", "note"]):
        kind = activity["activity_type_id"][1] if activity["activity_type_id"] else "Activity"
        body = f"<p>{html.escape(kind)} done</p>" + (f"<p>{html.escape(str(feedback))}</p>" if feedback else "")
        message_id = store.create(env, store.model("mail.message"), [{
            "body": body, "model": activity["res_model"], "res_id": activity["res_id"], "message_type": "notification",
            "subtype_id": (store.resolve_xmlid("mail", "mt_activities") or ("", False))[1]}])[0]
        keep = False
        if activity["activity_type_id"]:
            keep = bool(store.q("SELECT keep_done FROM mail_activity_type WHERE id=?", (activity["activity_type_id"][0],))[0][0])
        if keep:
            store.write(env, model, [activity["id"]], {"active": False, "date_done": now_string()[:10]})
        else:
            store.unlink(env, model, [activity["id"]])
    return message_id


def load(store: OdooStore, env: Env, model: ModelDef, ids: list[int], p: dict[str, Any]) -> Any:
    """Import rows of strings; existing xmlids update, others create; any error -> ids False and nothing kept."""
    fields, data = list(p["fields"]), list(p["data"])
    messages: list[dict[str, Any]] = []
    result: list[int] = []
    store.db.execute("SAVEPOINT load")
    for index, row in enumerate(data):
        try:
            result.append(_load_row(store, env, model, fields, [str(v) if v is not None else "" for v in row]))
        except (ValueError, TypeError, UserError, ValidationError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            messages.append({"type": "error", "message": message, "record": index, "rows": {"from": index, "to": index}})
            if len(messages) >= 10:
                break
    if messages:
        store.db.execute("ROLLBACK TO load")
        store.db.execute("RELEASE load")
        return {"ids": False, "messages": messages, "nextrow": 0}
    store.db.execute("RELEASE load")
    return {"ids": result, "messages": [], "nextrow": 0}


def _load_row(store: OdooStore, env: Env, model: ModelDef, fields: list[str], row: list[str]) -> int:
    vals: dict[str, Any] = {}
    xmlid, db_id = None, None
    for name, text in zip(fields, row):
        if name == "id":
            xmlid = text or None
            continue
        if name == ".id":
            db_id = int(text) if text else None
            continue
        base, _, sub = name.partition("/")
        f = model.fields.get(base)
        if f is None:
            raise ValueError(f"Unknown field {name!r}")
        vals[base] = _load_value(store, env, model, base, sub, text)
    existing = None
    if xmlid:
        module, name = xmlid.split(".", 1) if "." in xmlid else ("__import__", xmlid)
        found = store.resolve_xmlid(module, name)
        existing = found[1] if found and store.existing(model, [found[1]]) else None
    existing = existing or db_id
    if existing:
        store.write(env, model, [existing], vals)
        return int(existing)
    (rid,) = store.create(env, model, [vals])
    if xmlid:
        module, name = xmlid.split(".", 1) if "." in xmlid else ("__import__", xmlid)
        store.db.execute("DELETE FROM ir_model_data WHERE module=? AND name=?", (module, name))
        store.xmlid(model.name, rid, module, name)
    return rid


def _load_value(store: OdooStore, env: Env, model: ModelDef, name: str, sub: str, text: str) -> Any:
    f = model.fields[name]
    if text == "":
        return False
    if f.type == "many2one":
        comodel = store.model(str(f.relation))
        if sub == "id":
            module, xml = text.split(".", 1) if "." in text else ("__import__", text)
            found = store.resolve_xmlid(module, xml)
            if not found:
                raise ValueError(f"No matching record found for external id '{text}' in field '{f.string}'")
            return found[1]
        if sub == ".id":
            return int(text)
        found = store.search(env, comodel, [[comodel.rec_name, "=ilike", text]], limit=1)
        if not found:
            raise ValueError(f"No matching record found for name '{text}' in field '{f.string}'")
        return found[0]
    if f.type == "boolean":
        return text.strip().lower() in ("1", "true", "yes")
    if f.type in ("integer", "many2one_reference"):
        return int(text)
    if f.type in ("float", "monetary"):
        return float(text)
    if f.type == "date":
        return to_date(text)
    if f.type == "datetime":
        return to_datetime(text)
    if f.type == "selection":
        for value, label in f.selection or []:
            if text in (value, label):
                return value
        raise ValueError(f"Value '{text}' not found in selection field '{f.string}'")
    return text


METHODS: dict[str, Method] = {
    "create": _create,
    "read": lambda s, e, m, i, p: s.read(m, i, p["fields"]),
    "search": _search,
    "search_read": _search_read,
    "search_count": _search_count,
    "write": lambda s, e, m, i, p: s.write(e, m, i, p["vals"]),
    "unlink": lambda s, e, m, i, p: s.unlink(e, m, i),
    "exists": lambda s, e, m, i, p: s.existing(m, i),
    "fields_get": fields_get,
    "load": load,
    "name_search": _name_search,
    "message_post": message_post,
    "action_feedback": lambda s, e, m, i, p: _activity_done(s, e, m, i, p["feedback"]),
    "action_done": lambda s, e, m, i, p: _activity_done(s, e, m, i, False),
}
