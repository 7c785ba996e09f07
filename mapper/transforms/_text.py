"""Text transforms: whitespace, case, names, joining, truncation, notes, constants and booleans."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform


_SPACES = re.compile(r"\s+")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


@transform()
def trim(value: Any, ctx: TransformContext, /) -> Any:
    """Strip surrounding whitespace and collapse inner runs (space-padded Dentrix columns)."""
    text = _text(value)
    return None if text is None else _SPACES.sub(" ", text).strip()


@transform()
def none_if_empty(value: Any, ctx: TransformContext, /) -> Any:
    """None for None, blank strings and all-empty sequences; anything else unchanged."""
    return None if is_empty(value) else value


@transform()
def upper(value: Any, ctx: TransformContext, /) -> Any:
    """Upper case."""
    text = _text(value)
    return None if text is None else text.upper()


@transform()
def lower(value: Any, ctx: TransformContext, /) -> Any:
    """Lower case."""
    text = _text(value)
    return None if text is None else text.lower()


@transform()
def title(value: Any, ctx: TransformContext, /) -> Any:
    """Title case for names typed in capitals ("o'NEIL-SMITH" -> "O'Neil-Smith")."""
    text = _text(value)
    if text is None:
        return None
    return re.sub(r"[^\W\d_]+", _title_word, text)


def _title_word(match: re.Match[str]) -> str:
    word = match.group(0)
    head = word[:1].upper()
    return (head if len(head) == 1 else word[:1]) + word[1:].lower()


def _split(text: str) -> tuple[str | None, str | None]:
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None, None
    if "," in text:  # "Last, First Middle"
        last, _, first = text.partition(",")
        return first.strip() or None, last.strip() or None
    first, _, last = text.rpartition(" ")
    return (first or None, last) if first else (None, last)


@transform()
def split_name(value: Any, ctx: TransformContext, /) -> Any:
    """A full name ("First Middle Last" or "Last, First") -> (first, last)."""
    text = _text(value)
    return (None, None) if text is None else _split(text)


def _pick(value: Any, index: int) -> Any:
    if value is None:
        return None
    parts = tuple(value) if isinstance(value, (list, tuple)) else _split(str(value))
    return parts[index] if len(parts) > index else None


@transform()
def first_name(value: Any, ctx: TransformContext, /) -> Any:
    """The first name of a full name or of a (first, last) pair."""
    return _pick(value, 0)


@transform()
def last_name(value: Any, ctx: TransformContext, /) -> Any:
    """The last name of a full name or of a (first, last) pair."""
    return _pick(value, 1)


@transform()
def join(value: Any, ctx: TransformContext, /, *, separator: str = " ", skip_empty: bool = True) -> Any:
    """Join several source values (a multi-source field map) with `separator`; None when all are empty."""
    values: Sequence[Any] = value if isinstance(value, (list, tuple)) else (value,)
    parts = [_text(v) or "" for v in values if not (skip_empty and is_empty(v))]
    parts = [p.strip() if skip_empty else p for p in parts]
    return separator.join(parts) if parts else None


@transform()
def concat(value: Any, ctx: TransformContext, /, *, separator: str = "") -> Any:
    """Join several values with no separator by default (e.g. area code + number)."""
    return join(value, ctx, separator=separator)


@transform()
def truncate(value: Any, ctx: TransformContext, /, *, length: int | None = None) -> Any:
    """Cut text to `length` or the target field's max length, with a `truncated` warning."""
    limit = length if length is not None else (ctx.target.max_length if ctx.target is not None else None)
    text = _text(value)
    if text is None or limit is None or len(text) <= limit:
        return text
    ctx.warn("truncated", f"{target_label(ctx)} cut from {len(text)} to {limit} characters.")
    return text[:limit]


@transform()
def html_escape(value: Any, ctx: TransformContext, /, *, line_breaks: bool = True) -> Any:
    """Plain text -> safe HTML (Odoo Html fields, Dataverse notes); newlines become <br>."""
    text = _text(value)
    if text is None:
        return None
    escaped = html.escape(text.replace("\r\n", "\n"), quote=True)
    return escaped.replace("\n", "<br>\n") if line_breaks else escaped


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")
_MD_LINE_START = re.compile(r"^(\s*)(\d*)([-+.)])(\s)", re.M)


@transform()
def markdown(value: Any, ctx: TransformContext, /) -> Any:
    """Plain text -> Markdown that renders as the same text (Twenty bodyV2.markdown)."""
    text = _text(value)
    if text is None:
        return None
    escaped = _MD_SPECIAL.sub(r"\\\1", text.replace("\r\n", "\n"))
    escaped = _MD_LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}{m.group(4)}", escaped)
    return escaped.replace("\n", "  \n")


@transform()
def constant(value: Any, ctx: TransformContext, /, *, to: Any) -> Any:
    """Always `to`, whatever the source holds."""
    return to


@transform()
def default(value: Any, ctx: TransformContext, /, *, to: Any) -> Any:
    """`to` when the value is empty, else the value."""
    return to if is_empty(value) else value


@transform()
def coalesce(value: Any, ctx: TransformContext, /) -> Any:
    """The first non-empty of several source values (a multi-source field map); None when all are empty."""
    values: Sequence[Any] = value if isinstance(value, (list, tuple)) else (value,)
    return next((v for v in values if not is_empty(v)), None)


_TRUE = frozenset({"1", "y", "yes", "true", "t", "on", "x", "-1"})
_FALSE = frozenset({"0", "n", "no", "false", "f", "off", ""})


@transform("bool")
def to_bool(value: Any, ctx: TransformContext, /, *, empty: bool | None = None) -> Any:
    """Y/N, yes/no, true/false, 1/0, T/F -> bool; empty -> `empty` (None by default)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return empty
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1, -1):
            return value != 0
        raise TransformError("invalid_bool", f"{target_label(ctx)} is a number that is not a yes/no flag.")
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise TransformError("invalid_bool", f"{target_label(ctx)} is not a yes/no value.", hint="Add a value_map step.")
