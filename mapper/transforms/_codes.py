"""Code transforms: value maps and the dental vocabularies, picklists, CDT codes, teeth, surfaces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mapper.naming import enum_value
from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform

VOCABULARIES: dict[str, dict[str, str]] = {
    name: {str(code).strip().lower(): str(label) for code, label in table.items()}
    for name, table in yaml.safe_load((Path(__file__).parent / "vocabularies.yaml").read_text(encoding="utf-8")).items()
}
"""Source code -> normalised value per named vocabulary (data in vocabularies.yaml)."""

_REJECT = object()


def code_key(value: Any) -> str:
    """How value_map compares codes: trimmed, lower-cased text (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


@transform()
def value_map(
    value: Any,
    ctx: TransformContext,
    /,
    *,
    map: Mapping[str, Any] | None = None,  # noqa: A002  (the YAML argument name)
    vocabulary: str | None = None,
    default: Any = _REJECT,
) -> Any:
    """Code -> label through `map` (checked first) and/or a named vocabulary.

    Keys match case-insensitively after trimming. An unknown code takes `default` when one
    is given (null is a valid default), else the record is rejected with `unknown_code`.
    """
    if is_empty(value):
        return None
    table: dict[str, Any] = {}
    if vocabulary is not None:
        if vocabulary not in VOCABULARIES:
            raise TransformError("bad_transform", f"value_map vocabulary '{vocabulary}' is unknown.",
                                 hint=f"Use one of: {', '.join(sorted(VOCABULARIES))}.")
        table.update(VOCABULARIES[vocabulary])
    table.update({code_key(k): v for k, v in (map or {}).items()})
    key = code_key(value)
    if key in table:
        return table[key]
    if default is not _REJECT:
        return default
    raise TransformError(
        "unknown_code",
        f"{target_label(ctx)} holds a code the value map does not list.",
        hint="Map the code in the review app (Review the map, the field, Value map) or in mapping.yaml.",
    )


@transform()
def enum_safe(value: Any, ctx: TransformContext, /) -> Any:
    """Text -> an enum-safe option value ("Penicillin allergy" -> "PENICILLIN_ALLERGY")."""
    if is_empty(value):
        return None
    if isinstance(value, (list, tuple)):
        return [enum_value(str(v)) for v in value if not is_empty(v)]
    return enum_value(str(value))


@transform()
def picklist(
    value: Any,
    ctx: TransformContext,
    /,
    *,
    map: Mapping[str, Any] | None = None,  # noqa: A002  (the YAML argument name)
    default: Any = _REJECT,
    enum_names: bool = False,
) -> Any:
    """Map to one of the target's options: `map` first, else the value itself (enum-safe if asked).

    The result must be one of the target field's enum values when the target lists any;
    otherwise `default` or rejection with `invalid_option`. Lists map element-wise (MULTI_SELECT).
    """
    if is_empty(value):
        return None
    if isinstance(value, (list, tuple)):
        return [picklist(v, ctx, map=map, default=default, enum_names=enum_names) for v in value if not is_empty(v)]
    table = {code_key(k): v for k, v in (map or {}).items()}
    mapped = table.get(code_key(value), value)
    if enum_names and isinstance(mapped, str):
        mapped = enum_value(mapped)
    options = ctx.target.enum_values if ctx.target is not None else ()
    if options and mapped not in options:
        by_case = {o.lower(): o for o in options}
        if isinstance(mapped, str) and mapped.strip().lower() in by_case:
            return by_case[mapped.strip().lower()]
        if default is not _REJECT:
            return default
        raise TransformError("invalid_option", f"{target_label(ctx)} has no option for this value.",
                             hint="Add it to the picklist map in mapping.yaml (or give a default).")
    return mapped


_CDT = re.compile(r"^D\d{4}$")


@transform()
def cdt_validate(value: Any, ctx: TransformContext, /, *, allow_custom: bool = False) -> Any:
    """An ADA CDT code (D + 4 digits, upper-cased); practice codes only with allow_custom."""
    if is_empty(value):
        return None
    code = str(value).strip().upper()
    if _CDT.match(code):
        return code
    if allow_custom:
        return str(value).strip()
    raise TransformError("invalid_cdt", f"{target_label(ctx)} is not an ADA CDT code (D + 4 digits).",
                         hint="Set allow_custom: true on cdt_validate to carry practice codes.")


_PERMANENT = {str(n) for n in range(1, 33)}
_PRIMARY = {chr(c) for c in range(ord("A"), ord("T") + 1)}
_ORDER = [str(n) for n in range(1, 33)] + sorted(_PRIMARY)


def _tooth(text: str, ctx: TransformContext) -> str:
    t = text.strip().upper().lstrip("#")
    t = t.lstrip("0") or t if t.isdigit() else t
    if t in _PERMANENT or t in _PRIMARY:
        return t
    raise TransformError("invalid_tooth", f"{target_label(ctx)} is not a Universal tooth number (1-32, A-T).")


@transform()
def tooth(value: Any, ctx: TransformContext, /, *, separator: str = "-") -> Any:
    """Universal tooth number 1-32 / A-T; a (start, end) pair or "2-5" becomes a range "2-5"."""
    if is_empty(value):
        return None
    if isinstance(value, (list, tuple)):
        ends = [_tooth(str(v), ctx) for v in value if not is_empty(v)]
    else:
        ends = [_tooth(p, ctx) for p in re.split(r"\s*[-–]\s*", str(value).strip()) if p]
    if not ends or len(ends) > 2:
        raise TransformError("invalid_tooth", f"{target_label(ctx)} is not a tooth or a tooth range.")
    if len(ends) == 2 and ends[0] != ends[1]:
        if (ends[0] in _PERMANENT) != (ends[1] in _PERMANENT) or _ORDER.index(ends[0]) > _ORDER.index(ends[1]):
            raise TransformError("invalid_tooth", f"{target_label(ctx)} is a tooth range that runs backwards or mixes dentitions.")
        return f"{ends[0]}{separator}{ends[1]}"
    return ends[0]


SURFACES = "MODBFLI"


@transform()
def surfaces(value: Any, ctx: TransformContext, /, *, order: str = "MODLF") -> Any:
    """Surface letters ("dom" -> "MOD"), or one flag per letter of `order` ((1,1,1,0,0) -> "MOD")."""
    if is_empty(value):
        return None
    if isinstance(value, (list, tuple)):
        if len(value) > len(order):
            raise TransformError("invalid_surface", f"{target_label(ctx)} has more surface flags than letters.")
        flags = [bool(v) and code_key(v) not in ("0", "false", "n", "no", "") for v in value]
        letters = [letter for letter, on in zip(order, flags) if on]
    else:
        letters = [c for c in str(value).upper() if not c.isspace() and c not in ",;/"]
    bad = [c for c in letters if c not in SURFACES]
    if bad:
        raise TransformError("invalid_surface", f"{target_label(ctx)} holds a letter that is not a tooth surface.")
    seen = set(letters)
    return "".join(c for c in SURFACES if c in seen) or None
