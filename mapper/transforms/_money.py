"""Money transforms: strings with signs and currency symbols -> Decimal, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform

_SYMBOLS = re.compile(r"[$£€¥\s]|\b(?:USD|GBP|EUR|CAD|AUD)\b", re.I)


def _bad(ctx: TransformContext) -> TransformError:
    return TransformError("invalid_money", f"{target_label(ctx)} is not an amount of money.", hint="Fix it in the source.")


def parse_money(value: Any, ctx: TransformContext, decimal_comma: bool = False) -> Decimal | None:
    """The Decimal behind "$1,234.50", "-£5", "(12.00)", "12.00-", 7 or Decimal("7")."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise _bad(ctx)
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest repr, not the binary expansion
    text = _SYMBOLS.sub("", str(value))
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith(("-", "+")):
        negative, text = negative ^ (text[0] == "-"), text[1:]
    text = _SYMBOLS.sub("", text)
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", text):
        raise _bad(ctx)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _bad(ctx) from None
    return -amount if negative else amount


@transform()
def money(value: Any, ctx: TransformContext, /, *, decimal_comma: bool = False, places: int | None = None) -> Any:
    """An amount as Decimal; `places` rounds half-even (e.g. 2)."""
    amount = parse_money(value, ctx, decimal_comma)
    if amount is None or places is None:
        return amount
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@transform()
def to_micros(value: Any, ctx: TransformContext, /) -> Any:
    """An amount -> int micros (Twenty CURRENCY amountMicros = amount x 1,000,000)."""
    amount = parse_money(value, ctx)
    if amount is None:
        return None
    micros = amount * 1_000_000
    if micros != micros.to_integral_value():
        raise TransformError("invalid_money", f"{target_label(ctx)} has more than 6 decimal places.")
    return int(micros)


@transform()
def negate(value: Any, ctx: TransformContext, /) -> Any:
    """Flip the sign (credits stored positive, e.g. Dentrix payments)."""
    amount = parse_money(value, ctx)
    return None if amount is None else -amount
