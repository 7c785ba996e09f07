"""Twenty's REST filter grammar (`field[op]:value`, and/or/not, dotted subfields) compiled to SQLite."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

OPERATORS = frozenset({"eq", "neq", "in", "containsAny", "is", "gt", "gte", "lt", "lte", "startsWith", "like", "ilike"})
_BASE = re.compile(r"^([A-Za-z0-9_.]+)\[([A-Za-z]+)\]:(.*)$", re.S)
_COMBINATOR = re.compile(r"^(and|or|not)\((.*)\)$", re.S)
_COMPARE = {"eq": "=", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class FilterError(Exception):
    """A filter the real server would refuse with 400; the message is the server's."""


def invalid(fragment: str) -> FilterError:
    """The documented bad-filter error."""
    return FilterError(f"'filter' invalid for '{fragment}'. eg: price[gte]:10")


def split_top(text: str) -> list[str]:
    """Split on commas outside quotes, brackets and parentheses."""
    parts: list[str] = []
    depth, quoted, escaped, start = 0, False, False, 0
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_value(raw: str, ftype: str) -> Any:
    """One filter value as Twenty reads it: by the field's type, else a string with its quotes removed."""
    raw = raw.strip()
    if ftype in ("NUMBER", "NUMERIC", "POSITION"):
        try:
            return float(raw)
        except ValueError:
            return raw
    if ftype == "BOOLEAN":
        return raw.lower() == "true"
    if len(raw) >= 2 and raw[0] in "\"'" and raw[-1] in "\"'":
        return raw[1:-1]
    return raw


def _parse_list(raw: str, op: str, ftype: str) -> list[Any]:
    raw = raw.strip()
    if not (raw.startswith("[") and raw.endswith("]")):
        raise FilterError(f"'filter' invalid for '{op}' operator. Received '{raw}' but array value expected "
                          f"eg: 'field[{op}]:[value_1,value_2]'")
    return [parse_value(v, ftype) for v in split_top(raw[1:-1])]


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def compile_filter(text: str, column: Callable[[str], tuple[str, str]]) -> tuple[str, list[Any], set[str]]:
    """SQL condition, parameters and the field paths used; `column(path)` gives (SQL expression, field type)."""
    paths: set[str] = set()

    def node(expr: str) -> tuple[str, list[Any]]:
        combinator = _COMBINATOR.match(expr)
        if combinator:
            kind, inner = combinator.groups()
            parts = [node(p) for p in split_top(inner)]
            if not parts or (kind == "not" and len(parts) != 1):
                raise invalid(expr)
            if kind == "not":
                return f"NOT ({parts[0][0]})", parts[0][1]
            joined = f" {kind.upper()} ".join(f"({sql})" for sql, _ in parts)
            return joined, [p for _, params in parts for p in params]
        base = _BASE.match(expr)
        if not base:
            raise invalid(expr)
        path, op, raw = base.groups()
        if op not in OPERATORS:
            raise FilterError(f"'filter' invalid for '{expr}', comparator {op} not in {', '.join(sorted(OPERATORS))}")
        sql, ftype = column(path)
        paths.add(path)
        if op == "is":
            word = raw.strip().strip('"').upper()
            if word not in ("NULL", "NOT_NULL"):
                raise invalid(expr)
            return f"{sql} IS {'NULL' if word == 'NULL' else 'NOT NULL'}", []
        if op in ("in", "containsAny"):
            values = _parse_list(raw, op, ftype)
            if not values:
                return "0", []
            if op == "in":
                return f"{sql} IN ({', '.join('?' * len(values))})", values
            return " OR ".join(f"instr({sql}, ?) > 0" for _ in values), [json.dumps(v) for v in values]
        value = parse_value(raw, ftype)
        if op in _COMPARE:
            return f"{sql} {_COMPARE[op]} ?", [value]
        if op == "startsWith":
            return f"{sql} LIKE ? ESCAPE '\\'", [_like_prefix(str(value))]
        if op == "like":
            return f"{sql} LIKE ?", [str(value)]
        return f"lower({sql}) LIKE lower(?)", [str(value)]

    parts = [node(p) for p in split_top(text)]
    if not parts:
        raise invalid(text)
    return " AND ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params], paths
