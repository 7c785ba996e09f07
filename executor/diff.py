"""Field-level comparison of what bridgework sent with what the destination stored (silent changes named)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Change = Literal["same", "case", "truncated", "dropped", "format", "changed"]
SILENT: tuple[str, ...] = ("case", "truncated", "dropped", "changed")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field of one record: source value -> transformed -> stored, and what changed (values kept for display only)."""

    field: str
    source: Any
    sent: Any
    stored: Any
    change: Change


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def _text(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
        value = value[0]  # an Odoo many2one [id, "display name"]
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    text = str(value).strip()
    if len(text) >= 19 and text[4:5] == "-" and text[10:11] in ("T", " "):
        text = text.replace("T", " ").removesuffix("Z").removesuffix("+00:00")
        text = text[:19] if text[19:20] == "." else text
    return text


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def compare(sent: Any, stored: Any) -> Change:
    """How the stored value differs from the sent one."""
    if _empty(sent) and _empty(stored):
        return "same"
    if _empty(stored):
        return "dropped"
    if _empty(sent):
        return "format"
    a, b = _text(sent), _text(stored)
    if a == b:
        return "same"
    na, nb = _number(sent), _number(stored)
    if na is not None and nb is not None:
        return "same" if na == nb else "changed"
    if isinstance(stored, str) and stored.startswith("[") and _text(json.loads(stored) if _json(stored) else b) == a:
        return "format"
    if a.lower() == b.lower():
        return "case"
    if b and a.startswith(b):
        return "truncated"
    if isinstance(sent, (date, datetime)) and b.startswith(a[:10]):
        return "same"
    return "changed"


def _json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def diff_record(source: Mapping[str, Any], sources_of: Mapping[str, list[str]], sent: Mapping[str, Any],
                stored: Mapping[str, Any]) -> list[FieldDiff]:
    """Every sent field of one record: its source value(s), the sent value and the stored one."""
    out = []
    for name in sorted(sent):
        src_names = sources_of.get(name, [])
        src = (source.get(src_names[0]) if len(src_names) == 1 else [source.get(s) for s in src_names]) if src_names else None
        out.append(FieldDiff(name, src, sent[name], stored.get(name), compare(sent[name], stored.get(name))))
    return out
