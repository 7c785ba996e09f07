"""Odoo search domains (prefix notation) translated to SQLite WHERE clauses, and Odoo's exceptions."""

from __future__ import annotations

import re
from typing import Any

from connectors.emulators._odoo_models import FieldDef, ModelDef


class OdooError(Exception):
    """An odoo.exceptions.* error: XML-RPC fault code, JSON-2 HTTP status, dotted class name."""

    fault_code = 2
    http_status = 422
    dotted = "odoo.exceptions.UserError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    """odoo.exceptions.UserError."""


class ValidationError(OdooError):
    """odoo.exceptions.ValidationError."""

    dotted = "odoo.exceptions.ValidationError"


class MissingError(OdooError):
    """odoo.exceptions.MissingError."""

    dotted = "odoo.exceptions.MissingError"
    http_status = 404


class AccessError(OdooError):
    """odoo.exceptions.AccessError (fault 4)."""

    dotted = "odoo.exceptions.AccessError"
    fault_code = 4
    http_status = 403


class AccessDenied(OdooError):
    """odoo.exceptions.AccessDenied (fault 3)."""

    dotted = "odoo.exceptions.AccessDenied"
    fault_code = 3
    http_status = 401

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


def like_match(pattern: str | None, value: str | None, insensitive: int) -> int:
    """SQL LIKE with backslash escapes, as PostgreSQL does it (registered as an SQLite function)."""
    if value is None or pattern is None:
        return 0
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    flags = re.S | (re.I if insensitive else 0)
    return 1 if re.fullmatch("".join(out), str(value), flags) else 0


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


OPERATORS = ("=", "!=", "<>", "in", "not in", "like", "not like", "ilike", "not ilike", "=like", "=ilike", ">", "<", ">=", "<=")


class DomainCompiler:
    """Turns a domain into (sql, params) for one model; `models` resolves relations."""

    def __init__(self, models: dict[str, ModelDef]) -> None:
        self.models = models

    def compile(self, model: ModelDef, domain: list[Any] | None, active_test: bool = True) -> tuple[str, list[Any]]:
        """The WHERE clause (without the keyword) and its parameters."""
        domain = list(domain or [])
        terms: list[tuple[str, list[Any]]] = []
        pos = 0
        while pos < len(domain):
            sql, params, pos = self._term(model, domain, pos)
            terms.append((sql, params))
        mentioned = {leaf[0] for leaf in domain if isinstance(leaf, (list, tuple)) and leaf}
        if active_test and "active" in model.fields and "active" not in mentioned:
            terms.append(("(active = 1)", []))
        if not terms:
            return "1=1", []
        return " AND ".join(t[0] for t in terms), [p for t in terms for p in t[1]]

    def _term(self, model: ModelDef, domain: list[Any], pos: int) -> tuple[str, list[Any], int]:
        token = domain[pos]
        if token in ("&", "|"):
            left, lp, pos = self._term(model, domain, pos + 1)
            right, rp, pos = self._term(model, domain, pos)
            return f"({left} {'AND' if token == '&' else 'OR'} {right})", lp + rp, pos
        if token == "!":
            inner, ip, pos = self._term(model, domain, pos + 1)
            return f"(NOT COALESCE({inner}, 0))", ip, pos  # NULLs match the negation, as in Odoo
        if isinstance(token, (list, tuple)) and len(token) == 3:
            sql, params = self._leaf(model, tuple(token))
            return sql, params, pos + 1
        raise ValueError(f"Invalid domain term {token!r}")

    def _leaf(self, model: ModelDef, leaf: tuple[Any, str, Any]) -> tuple[str, list[Any]]:
        name, op, value = leaf
        if leaf == (1, "=", 1):
            return "1=1", []
        if leaf == (0, "=", 1):
            return "1=0", []
        op = str(op).lower()
        if op not in OPERATORS:
            raise ValueError(f"Invalid operator {op!r} in domain term {leaf!r}")
        path = str(name).split(".", 1)
        fdef = model.fields.get(path[0])
        if fdef is None or not (fdef.column or fdef.type == "one2many" or fdef.name == "id"):
            raise ValueError(f"Invalid field {model.name}.{name} in leaf {leaf!r}")
        if len(path) == 2 or (fdef.type == "many2one" and isinstance(value, str)):
            return self._related(model, fdef, path[1] if len(path) == 2 else None, op, value)
        if fdef.type == "one2many":
            comodel = self.models[str(fdef.relation)]
            sub, params = self._leaf(comodel, ("id", op, value))
            return f"(id IN (SELECT {fdef.relation_field} FROM {comodel.table} WHERE {sub}))", params
        if fdef.type == "many2many":
            ids = value if isinstance(value, (list, tuple)) else [value]
            marks = ",".join("?" * len(ids)) or "NULL"
            exists = f"EXISTS (SELECT 1 FROM json_each({fdef.name}) WHERE json_each.value IN ({marks}))"
            return (f"(NOT {exists})" if op in ("not in", "!=") else exists), list(ids)
        return self._compare(fdef.name, fdef, op, value)

    def _related(self, model: ModelDef, fdef: FieldDef, subpath: str | None, op: str, value: Any) -> tuple[str, list[Any]]:
        comodel = self.models[str(fdef.relation)]
        sub, params = self._leaf(comodel, (subpath or comodel.rec_name, op, value))
        return f"({fdef.name} IN (SELECT id FROM {comodel.table} WHERE {sub}))", params

    def _compare(self, column: str, fdef: FieldDef, op: str, value: Any) -> tuple[str, list[Any]]:
        if fdef.type == "boolean" and op in ("=", "!=", "in", "not in"):
            wanted = {bool(v) for v in value} if op in ("in", "not in") else {bool(value)}
            if op in ("!=", "not in"):
                wanted = {True, False} - wanted
            parts = (["1=1"] if wanted == {True, False} else [f"{column} = 1"] if True in wanted
                     else [f"{column} IS NULL OR {column} = 0"] if wanted else ["1=0"])
            return f"({parts[0]})", []
        if op in ("=", "!=", "<>") and (value is False or value is None):
            blank = f" OR {column} = ''" if fdef.type in ("char", "text", "html") else ""
            empty = f"({column} IS NULL{blank})"
            return (empty, []) if op == "=" else (f"(NOT {empty})", [])
        if op == "=":
            return f"({column} = ?)", [value]
        if op in ("!=", "<>"):
            return f"({column} IS NULL OR {column} != ?)", [value]
        if op in ("in", "not in"):
            values = list(value) if isinstance(value, (list, tuple, set)) else [value]
            real = [v for v in values if v is not False and v is not None]
            parts = [f"{column} IN ({','.join('?' * len(real))})"] if real else []
            if len(real) < len(values):
                parts.append(f"{column} IS NULL")
            sql = "(" + (" OR ".join(parts) or "1=0") + ")"
            if op == "not in":
                sql = f"(NOT {sql})" if len(real) < len(values) else f"({column} IS NULL OR NOT {sql})"
            return sql, real
        if op in ("like", "not like", "ilike", "not ilike", "=like", "=ilike"):
            pattern = str(value) if op.startswith("=") else f"%{_escape_like(str(value))}%"
            sql = f"odoo_like(?, {column}, {1 if 'ilike' in op else 0})"
            if op.startswith("not"):
                return f"({column} IS NULL OR NOT {sql})", [pattern]
            return f"({sql})", [pattern]
        return f"({column} {op} ?)", [value]
