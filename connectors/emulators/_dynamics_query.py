"""OData pieces the Dataverse emulator parses: key segments, literals and a $filter subset turned into SQL."""

from __future__ import annotations

import re
from typing import Any

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_.]*)
  | (?P<punct>[(),=\[\]])
)""", re.X)
_COMPARE = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


class QueryError(Exception):
    """A URL the server cannot parse: 400 0x8006088a (query syntax) in Dataverse."""


def column_sql(name: str) -> str:
    """The SQL expression reading one column from a stored record (also used for key indexes)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise QueryError(f"bad property name {name!r}")
    return f"json_extract(data, '$.{name}')"


def tokens(text: str) -> list[tuple[str, str]]:
    """Split an OData expression into (kind, text) tokens."""
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("Bad Request - Error in query syntax.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def literal(kind: str, text: str) -> Any:
    """The Python value of one literal token."""
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "guid":
        return text.lower()
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "name" and text in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[text]
    raise QueryError("Bad Request - Error in query syntax.")


def parse_key(segment: str) -> str | dict[str, Any]:
    """The inside of `set(...)`: a GUID, or alternate key values {attribute: value}."""
    segment = segment.strip()
    if GUID.match(segment):
        return segment.lower()
    toks = tokens(segment)
    values: dict[str, Any] = {}
    i = 0
    while i < len(toks):
        if i + 2 >= len(toks) or toks[i][0] != "name" or toks[i + 1][1] != "=":
            raise QueryError("Bad Request - Error in query syntax.")
        values[toks[i][1]] = literal(*toks[i + 2])
        i += 3
        if i < len(toks):
            if toks[i][1] != ",":
                raise QueryError("Bad Request - Error in query syntax.")
            i += 1
    if not values:
        raise QueryError("Bad Request - Error in query syntax.")
    return values


class FilterParser:
    """`$filter` subset -> SQL WHERE: eq/ne/gt/ge/lt/le, and/or/not, parentheses, startswith/endswith/
    contains and Microsoft.Dynamics.CRM.In(PropertyName=...,PropertyValues=[...])."""

    def __init__(self, text: str, known: set[str], primary: str = "") -> None:
        self.toks = tokens(text)
        self.pos = 0
        self.known = known
        self.primary = primary  # the primary id reads the indexed id column
        self.params: list[Any] = []

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters."""
        clause = self._or()
        if self.pos != len(self.toks):
            raise QueryError("Bad Request - Error in query syntax.")
        return clause, self.params

    def _peek(self) -> tuple[str, str]:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("", "")

    def _take(self, text: str | None = None) -> tuple[str, str]:
        tok = self._peek()
        if not tok[0] or (text is not None and tok[1] != text):
            raise QueryError("Bad Request - Error in query syntax.")
        self.pos += 1
        return tok

    def _or(self) -> str:
        start = len(self.params)
        parts = [self._and()]
        while self._peek() == ("name", "or"):
            self._take()
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        first = parts[0].removesuffix(" = ?")
        if all(p == f"{first} = ?" for p in parts):  # x eq a or x eq b ...: one IN the index can serve
            return f"{first} IN ({','.join('?' * (len(self.params) - start))})"
        return "(" + " OR ".join(parts) + ")"

    def _and(self) -> str:
        parts = [self._unary()]
        while self._peek() == ("name", "and"):
            self._take()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def _unary(self) -> str:
        if self._peek() == ("name", "not"):
            self._take()
            return f"NOT ({self._unary()})"
        if self._peek()[1] == "(":
            self._take("(")
            inner = self._or()
            self._take(")")
            return inner
        return self._term()

    def _property(self) -> str:
        kind, name = self._take()
        if kind != "name" or name not in self.known:
            raise QueryError(f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.entity'.")
        return "id" if name == self.primary else column_sql(name)

    def _value(self) -> Any:
        kind, text = self._take()
        return literal(kind, text)

    def _term(self) -> str:
        kind, name = self._peek()
        if kind == "name" and name in ("startswith", "endswith", "contains"):
            self._take()
            self._take("(")
            prop = self._property()
            self._take(",")
            value = self._value()
            self._take(")")
            if not isinstance(value, str):
                raise QueryError("Bad Request - Error in query syntax.")
            pattern = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            self.params.append({"startswith": pattern + "%", "endswith": "%" + pattern,
                                "contains": "%" + pattern + "%"}[name])
            return f"{prop} LIKE ? ESCAPE '\\'"
        if kind == "name" and name == "Microsoft.Dynamics.CRM.In":
            return self._in()
        prop = self._property()
        op = self._take()[1]
        if op not in _COMPARE:
            raise QueryError("Bad Request - Error in query syntax.")
        value = self._value()
        if value is None:
            return f"{prop} IS {'NOT ' if op == 'ne' else ''}NULL"
        self.params.append(int(value) if isinstance(value, bool) else value)
        return f"{prop} {_COMPARE[op]} ?"

    def _in(self) -> str:
        self._take()
        self._take("(")
        self._take("PropertyName")
        self._take("=")
        kind, text = self._take()
        name = literal(kind, text)
        if not isinstance(name, str) or name not in self.known:
            raise QueryError(f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.entity'.")
        self._take(",")
        self._take("PropertyValues")
        self._take("=")
        self._take("[")
        values: list[Any] = []
        while self._peek()[1] != "]":
            values.append(self._value())
            if self._peek()[1] == ",":
                self._take(",")
        self._take("]")
        self._take(")")
        if not values:
            return "0"
        self.params.extend(values)
        return f"{column_sql(name)} IN ({','.join('?' * len(values))})"
