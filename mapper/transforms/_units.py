"""Unit conversions for numbers that carry one: an appointment length in minutes -> Odoo's duration in hours."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform

# Seconds per unit; a conversion is source seconds / target seconds.
DURATION_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@transform()
def duration_unit(value: Any, ctx: TransformContext, /, *, source_unit: str, target_unit: str) -> Any:
    """A length of time from one unit to another (minutes -> hours: 90 -> 1.5); whole results stay whole."""
    if is_empty(value):
        return None
    if source_unit not in DURATION_UNITS or target_unit not in DURATION_UNITS:
        raise TransformError("bad_transform", f"duration_unit knows {', '.join(DURATION_UNITS)}, not "
                             f"{source_unit!r} -> {target_unit!r}.", hint="Fix the transform's units in mapping.yaml.")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, (int, Decimal)) else Decimal(value)
    except InvalidOperation:
        raise TransformError("invalid_number", f"{target_label(ctx)} is not a number of {source_unit}.",
                             hint="Fix it in the source.") from None
    out = amount * DURATION_UNITS[source_unit] / DURATION_UNITS[target_unit]
    return int(out) if out == out.to_integral_value() else float(round(out, 6))
