"""Date and time transforms: explicit or column-detected formats, never a per-value guess."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform

# Format names the profiler reports (ValueProfile.date_format) -> strptime patterns.
FORMAT_NAMES: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "ISO": "iso",
    "ISO-8601 datetime": "iso",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYYMMDD": "%Y%m%d",
}

# Destination datetime text formats (all UTC).
OUTPUT_FORMATS: dict[str, str] = {
    "iso": "%Y-%m-%dT%H:%M:%SZ",
    "odoo": "%Y-%m-%d %H:%M:%S",
    "salesforce": "%Y-%m-%dT%H:%M:%S.000+0000",
    "date": "%Y-%m-%d",
}

_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError("bad_timezone", f"'{name}' is not a time zone name.", hint="Use an IANA name such as America/Chicago.") from None


def _pattern(fmt: str) -> str:
    return FORMAT_NAMES.get(fmt, fmt)


def _iso(text: str, ctx: TransformContext) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(ctx, "is not an ISO-8601 date") from None


def _bad(ctx: TransformContext, what: str, code: str = "invalid_date") -> TransformError:
    return TransformError(code, f"{target_label(ctx)} {what}.", hint="Fix it in the source or set the format in mapping.yaml.")


def _parse(value: Any, ctx: TransformContext, fmt: str | None) -> datetime | None:
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        raise _bad(ctx, "holds a year only, not a date", "year_only")
    pattern = _pattern(fmt) if fmt else None
    if pattern is None:
        if _SLASHED.match(text):
            raise _bad(ctx, "has a day/month order that needs an explicit format", "ambiguous_date")
        pattern = "iso"
    if pattern == "iso":
        return _iso(text, ctx)
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        raise _bad(ctx, f"does not match the format {fmt}") from None


@transform("date")
def to_date(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    """A `date` from ISO text, a date/datetime, or text in `format` (MM/DD/YYYY, DD/MM/YYYY, strptime)."""
    parsed = _parse(value, ctx, format)
    return None if parsed is None else parsed.date()


@transform("datetime")
def to_datetime(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    """An aware `datetime`; naive values are read in the context's time zone."""
    parsed = _parse(value, ctx, format)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_zone(ctx.timezone))


@transform()
def datetime_combine(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    """(date, hour, minute[, minutes later]) -> aware datetime in the context's zone (Dentrix apptdate + timehr
    + timemin; with apptlen, the end)."""
    parts = list(value) if isinstance(value, (list, tuple)) else [value]
    day = _parse(parts[0] if parts else None, ctx, format)
    if day is None:
        return None
    try:
        hour = int(parts[1]) if len(parts) > 1 and not is_empty(parts[1]) else 0
        minute = int(parts[2]) if len(parts) > 2 and not is_empty(parts[2]) else 0
        later = int(parts[3]) if len(parts) > 3 and not is_empty(parts[3]) else 0
        combined = day.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(minutes=later)
    except (TypeError, ValueError):
        raise _bad(ctx, "has an hour or minute out of range", "invalid_time") from None
    return combined if combined.tzinfo is not None else combined.replace(tzinfo=_zone(ctx.timezone))


@transform()
def to_timezone(value: Any, ctx: TransformContext, /, *, tz: str, source_tz: str | None = None) -> Any:
    """Convert a datetime to `tz`; naive input is read in `source_tz` or the context's zone."""
    parsed = _parse(value, ctx, None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(source_tz or ctx.timezone))
    return parsed.astimezone(_zone(tz))


@transform()
def to_utc(value: Any, ctx: TransformContext, /, *, format: str = "iso") -> Any:
    """A datetime as UTC text: iso `2024-01-02T15:04:05Z`, odoo `2024-01-02 15:04:05`, salesforce, date."""
    pattern = OUTPUT_FORMATS.get(format)
    if pattern is None:
        raise TransformError("bad_transform", f"to_utc format '{format}' is unknown.", hint=f"Use one of: {', '.join(OUTPUT_FORMATS)}.")
    parsed = _parse(value, ctx, None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(ctx.timezone))
    return parsed.astimezone(timezone.utc).strftime(pattern)


def detect_date_format(values: Iterable[Any]) -> str | None:
    """The one format that reads every value of a column, or None when the column is ISO/empty.

    Raises TransformError `ambiguous_date` when both MM/DD/YYYY and DD/MM/YYYY read every
    value and they disagree on at least one (so a person must choose), or `invalid_date`
    when no known format reads them all.
    """
    texts = [str(v).strip() for v in values if not is_empty(v) and not isinstance(v, (date, datetime))]
    slashed = [t for t in texts if _SLASHED.match(t)]
    if not slashed:
        return None
    fits = [name for name in ("MM/DD/YYYY", "DD/MM/YYYY") if all(_fits(t, FORMAT_NAMES[name]) for t in slashed)]
    if not fits:
        raise TransformError("invalid_date", "The column's dates match no known format.", hint="Set the format in mapping.yaml.")
    if len(fits) == 2 and any(_swapped(t) for t in slashed):
        raise TransformError(
            "ambiguous_date",
            "The column's dates read both as MM/DD/YYYY and DD/MM/YYYY.",
            hint="Set args: {format: MM/DD/YYYY} (or DD/MM/YYYY) on the date step in mapping.yaml.",
        )
    return fits[0]


def _fits(text: str, pattern: str) -> bool:
    try:
        datetime.strptime(text.replace(".", "/").replace("-", "/"), pattern)
    except ValueError:
        return False
    return True


def _swapped(text: str) -> bool:
    match = _SLASHED.match(text)
    return match is not None and match.group(1) != match.group(2)
