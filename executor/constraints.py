"""The destination's constraints on one staged record: required, type, email/phone shape, picklist, length.

Checked before anything is sent, so a record the destination would refuse is rejected with a
reason instead of failing its batch (and costing a bisection).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mapper.schema import Entity, Field

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,20}$")
_NUMERIC = (int, float, Decimal)
_TYPED = frozenset({"int", "decimal", "money", "bool", "date", "datetime", "email", "phone"})
_MEMO_SIZE = 4096

Found = tuple[str, str, str, str, str]
"""(field, code, message, fix, severity)."""


def _type_problem(f: Field, value: Any) -> tuple[str, str, str] | None:
    if value is None:
        return None
    t = f.type
    if t in ("int", "decimal", "money") and not isinstance(value, _NUMERIC):
        try:
            Decimal(str(value))
        except ArithmeticError:
            return "bad_number", f"is not a number ({t})", "Add a money/number transform or fix the source value."
    if t == "bool" and not isinstance(value, bool):
        return "bad_bool", "is not true/false", "Add a boolean transform."
    if t in ("date", "datetime") and not isinstance(value, (date, datetime)):
        if not re.match(r"^\d{4}-\d{2}-\d{2}", str(value)):
            return "bad_date", f"is not an ISO {t}", "Add a date transform with the column's format."
    if t == "email" and not _EMAIL.match(str(value)):
        return "invalid_email", "is not a valid email address", "Fix it in the source or leave the field empty."
    if t == "phone" and not _PHONE.match(str(value)):
        return "invalid_phone", "is not a valid phone number", "Fix it in the source or add the phone_e164 transform."
    if t == "enum" and f.enum_values and str(value) not in f.enum_values:
        return ("bad_picklist", "is not one of the field's options",
                "Map its codes in the review app (Review the map, the field, Value map).")
    if f.max_length and isinstance(value, str) and len(value) > f.max_length:
        return "too_long", f"is longer than {f.max_length} characters (would be cut)", "Shorten it or map to a longer field."
    return None


def constrained(dest: Entity | None, targets: set[str]) -> list[Field]:
    """The destination fields a map writes whose constraints are checked (computed once per map)."""
    return [f for f in dest.fields if f.name in targets and not f.readonly] if dest is not None else []


def check_values(values: Mapping[str, Any], fields: list[Field]) -> list[Found]:
    """Destination constraint problems of one staged record."""
    out: list[Found] = []
    for f in fields:
        value = values.get(f.name)
        if f.required and (value is None or value == ""):
            out.append(_required(f.name))
            continue
        found = _found(f.name, _type_problem(f, value))
        if found is not None:
            out.append(found)
    return out




def _can_fail(f: Field) -> bool:
    """Whether _type_problem can find anything wrong with a value of this field."""
    return f.type in _TYPED or bool(f.type == "enum" and f.enum_values) or bool(f.max_length)


def _always_fine(f: Field) -> frozenset[type]:
    """Python types whose every value passes _type_problem for this field (so no value need be looked at)."""
    if f.type in ("int", "decimal", "money"):
        return frozenset({int, float, Decimal, bool})
    if f.type == "bool":
        return frozenset({bool})
    if f.type in ("date", "datetime"):
        return frozenset({date, datetime})
    if f.type in _TYPED or f.type == "enum" and f.enum_values:
        return frozenset()
    return frozenset({int, float, Decimal, bool, date, datetime})  # only text can be too long


def checker(fields: list[Field]) -> Callable[[Mapping[str, Any]], list[Found]]:
    """check_values compiled for one map: fields no value can fail are left out, verdicts on text remembered.

    Written as straight-line code, one block per field (as executor._compile does for staging);
    only `repr()` literals of field names reach the source, every object is passed in the namespace.
    """
    ns: dict[str, Any] = {"P": _type_problem, "MISS": _MISS, "SIZE": _MEMO_SIZE}
    lines = ["def check(values):", "    get = values.get", "    out = []"]
    for j, f in enumerate(fields):
        typed, required = _can_fail(f), f.required
        if not (required or typed):
            continue
        ns[f"F{j}"], ns[f"R{j}"], ns[f"M{j}"], ns[f"OK{j}"] = f, _required(f.name), {}, _always_fine(f)
        block = [f"v = get({f.name!r})",
                 "if v is None or v == '':" if required else "if v is None:",
                 f"    out.append(R{j})" if required else "    pass"]
        if typed:
            block += ["elif type(v) is str:", f"    r = M{j}.get(v, MISS)", "    if r is MISS:",
                      f"        r = _found({f.name!r}, P(F{j}, v))", f"        if len(M{j}) < SIZE:",
                      f"            M{j}[v] = r", "    if r is not None:", "        out.append(r)",
                      f"elif type(v) not in OK{j}:", f"    r = _found({f.name!r}, P(F{j}, v))", "    if r is not None:",
                      "        out.append(r)"]
        lines += ["    " + line for line in block]
    lines.append("    return out")
    ns["_found"] = _found
    exec(compile("\n".join(lines), "<constraints>", "exec"), ns)  # noqa: S102 - source built above from reprs
    check: Callable[[Mapping[str, Any]], list[Found]] = ns["check"]
    return check


_MISS = object()


def _required(name: str) -> Found:
    """The required_missing problem of a field."""
    return (name, "required_missing", "is required but empty", "Fill it in the source or map a default.", "error")


def _found(name: str, problem: tuple[str, str, str] | None) -> Found | None:
    """A type problem of a field as a Found (too long is a warning: the value would be cut, not refused)."""
    if problem is None:
        return None
    code, message, fix = problem
    return (name, code, message, fix, "warning" if code == "too_long" else "error")
