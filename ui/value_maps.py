"""A field map's value map as the review app edits it: source code -> destination option, and what other codes do.

A picklist target gets a `value_map` step from the proposer; until a person fills it, every record
with a code it does not list is refused (`unknown_code` in the correction report). These helpers
turn that step into rows a practice admin can fill from a list of options, and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapper.schema import Entity
from mapper.spec import FieldMap, TransformStep
from mapper.transforms import code_key

LEAVE_EMPTY = "(leave the field empty)"
REJECT = "(refuse the record: it shows in the correction report)"
NOT_MAPPED = "(not mapped yet: its records are refused)"


def known_codes(fm: FieldMap, source: Entity | None, step: TransformStep) -> list[str]:
    """Codes to show: those the map already lists, then the source column's frequent codes (profile top values)."""
    codes = [str(k) for k in (step.args.get("map") or {})]
    seen = {code_key(c) for c in codes}
    for name in fm.sources:
        profile = source.field(name).profile if source is not None and source.has(name) else None
        for code in profile.top_values if profile is not None else ():
            if code_key(code) not in seen:
                seen.add(code_key(code))
                codes.append(code)
    return codes


def choice_of(value: Any) -> str:
    """How a map entry shows in the editor."""
    return LEAVE_EMPTY if value is None else str(value)


def shown_choices(step: TransformStep, codes: Sequence[str]) -> list[str]:
    """Each code's entry in the editor: its mapped option, LEAVE_EMPTY, or NOT_MAPPED."""
    current = {code_key(k): v for k, v in (step.args.get("map") or {}).items()}
    return [choice_of(current[code_key(c)]) if code_key(c) in current else NOT_MAPPED for c in codes]


def other_choice(step: TransformStep) -> str:
    """What the editor shows for codes the map does not list."""
    return REJECT if "default" not in step.args else choice_of(step.args["default"])


def apply_choices(step: TransformStep, rows: Sequence[tuple[Any, Any]], other: str) -> int:
    """Write the editor's rows (code, choice) and the other-codes choice into the step; how many codes it maps.

    A row with no code or no choice (or NOT_MAPPED) is left out; LEAVE_EMPTY maps to null (the field is not filled).
    """
    table: dict[str, Any] = {}
    for code, choice in rows:
        if code is None or str(code).strip() == "" or choice in (None, "", NOT_MAPPED) or _missing(choice):
            continue
        table[str(code).strip()] = None if choice == LEAVE_EMPTY else str(choice)
    args: dict[str, Any] = {k: v for k, v in step.args.items() if k not in ("map", "default")}
    args["map"] = table
    if other != REJECT:
        args["default"] = None if other == LEAVE_EMPTY else other
    step.args = args
    return len(table)


def options_of(enum_values: Sequence[str]) -> list[str]:
    """The choices a code can take: not mapped yet, leave empty, then every option of the destination picklist."""
    return [NOT_MAPPED, LEAVE_EMPTY, *[str(o) for o in enum_values]]


def _missing(value: Any) -> bool:
    """pandas' missing markers (NaN, None) as a data editor returns them."""
    return value != value  # NaN is the one value not equal to itself
