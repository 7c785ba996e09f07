"""Date and time transforms: explicit or column-detected formats, never a per-value guess."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
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
_SEPARATORS = "/.-"

CACHE_SIZE = 8192
"""Entries each cache keeps (parses by text and format, date and clock texts, minute spans): bounded, so memory
stays flat on timestamp columns."""
ZONE_CACHE = 64
"""Time zone names remembered."""

_ZONES: dict[str, ZoneInfo] = {}

# strftime patterns of OUTPUT_FORMATS -> (separator, suffix) around the clock; None: the date alone.
_LAYOUTS: dict[str, tuple[str, str] | None] = {
    "%Y-%m-%dT%H:%M:%SZ": ("T", "Z"),
    "%Y-%m-%d %H:%M:%S": (" ", ""),
    "%Y-%m-%dT%H:%M:%S.000+0000": ("T", ".000+0000"),
    "%Y-%m-%d": None,
}

_YEAR_ONLY = ("year_only", "holds a year only, not a date")
_AMBIGUOUS = ("ambiguous_date", "has a day/month order that needs an explicit format")
_NOT_ISO = ("invalid_date", "is not an ISO-8601 date")


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name) if type(name) is str else None
    if zone is not None:
        return zone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError("bad_timezone", f"'{name}' is not a time zone name.", hint="Use an IANA name such as America/Chicago.") from None
    if type(name) is str and len(_ZONES) < ZONE_CACHE:
        _ZONES[name] = zone
    return zone


def _local(value: datetime, name: str) -> datetime:
    """A naive value read in the time zone `name` (`value.replace(tzinfo=...)`)."""
    zone = _zone(name)
    return datetime.combine(value, value.time(), zone) if type(value) is datetime else value.replace(tzinfo=zone)


def _pattern(fmt: str) -> str:
    return FORMAT_NAMES.get(fmt, fmt)


def _bad(ctx: TransformContext, what: str, code: str = "invalid_date") -> TransformError:
    return TransformError(code, f"{target_label(ctx)} {what}.", hint="Fix it in the source or set the format in mapping.yaml.")


def _read_text(text: str, fmt: str | None) -> datetime | tuple[str, str]:
    """Stripped text as a datetime, or the (code, message tail) that rejects it."""
    if len(text) == 4 and text.isdecimal():
        return _YEAR_ONLY
    pattern = _pattern(fmt) if fmt else None
    if pattern is None:
        if len(text) > 5 and (text[1] in _SEPARATORS or text[2] in _SEPARATORS) and _SLASHED.match(text):
            return _AMBIGUOUS
        pattern = "iso"
    if pattern == "iso":
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return _NOT_ISO
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return ("invalid_date", f"does not match the format {fmt}")


_read = lru_cache(maxsize=CACHE_SIZE)(_read_text)


def _parse(value: Any, ctx: TransformContext, fmt: str | None) -> datetime | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
    elif is_empty(value):
        return None
    elif isinstance(value, datetime):
        return value
    elif isinstance(value, date):
        return datetime.combine(value, time())
    else:
        text = str(value).strip()
    found = _read(text, fmt) if fmt is None or type(fmt) is str else _read_text(text, fmt)
    if isinstance(found, tuple):
        raise _bad(ctx, found[1], found[0])
    return found


@lru_cache(maxsize=CACHE_SIZE)
def _day_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


@lru_cache(maxsize=CACHE_SIZE)
def _clock_text(seconds: int) -> str:
    return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


@lru_cache(maxsize=CACHE_SIZE)
def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def _utc_text(value: datetime, pattern: str) -> str:
    """`value.astimezone(timezone.utc).strftime(pattern)`, from cached date and clock text for the OUTPUT_FORMATS."""
    if pattern in _LAYOUTS and type(value) is datetime and 1000 < value.year < 9999:
        offset = value.utcoffset()
        if offset is not None:
            utc = value - offset
            day = _day_text(utc.toordinal())
            layout = _LAYOUTS[pattern]
            if layout is None:
                return day
            return day + layout[0] + _clock_text(utc.hour * 3600 + utc.minute * 60 + utc.second) + layout[1]
    return value.astimezone(timezone.utc).strftime(pattern)


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
    return parsed if parsed.tzinfo is not None else _local(parsed, ctx.timezone)


@transform()
def datetime_combine(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    """(date, hour, minute[, minutes later]) -> aware datetime in the context's zone (Dentrix apptdate + timehr
    + timemin; with apptlen, the end)."""
    kind = type(value)
    parts: Sequence[Any] = value if kind is tuple or kind is list else list(value) if isinstance(value, (list, tuple)) else (value,)
    count = len(parts)
    day = _parse(parts[0] if count else None, ctx, format)
    if day is None:
        return None
    zone = day.tzinfo
    if zone is None and type(ctx.timezone) is str:
        zone = _ZONES.get(ctx.timezone)
    try:
        hour = parts[1] if count > 1 else 0
        if type(hour) is not int:
            hour = 0 if is_empty(hour) else int(hour)
        minute = parts[2] if count > 2 else 0
        if type(minute) is not int:
            minute = 0 if is_empty(minute) else int(minute)
        later = parts[3] if count > 3 else 0
        if type(later) is not int:
            later = 0 if is_empty(later) else int(later)
        if zone is not None and type(day) is datetime:
            combined = datetime(day.year, day.month, day.day, hour, minute, 0, 0, zone)
            return combined + _minutes(later) if later else combined
        combined = day.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(minutes=later)
    except (TypeError, ValueError):
        raise _bad(ctx, "has an hour or minute out of range", "invalid_time") from None
    return combined if combined.tzinfo is not None else _local(combined, ctx.timezone)


@transform()
def to_timezone(value: Any, ctx: TransformContext, /, *, tz: str, source_tz: str | None = None) -> Any:
    """Convert a datetime to `tz`; naive input is read in `source_tz` or the context's zone."""
    parsed = _parse(value, ctx, None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = _local(parsed, source_tz or ctx.timezone)
    return parsed.astimezone(_zone(tz))


@transform()
def to_utc(value: Any, ctx: TransformContext, /, *, format: str = "iso") -> Any:
    """A datetime as UTC text: iso `2024-01-02T15:04:05Z`, odoo `2024-01-02 15:04:05`, salesforce, date."""
    pattern = OUTPUT_FORMATS.get(format)
    if pattern is None:
        raise TransformError("bad_transform", f"to_utc format '{format}' is unknown.", hint=f"Use one of: {', '.join(OUTPUT_FORMATS)}.")
    if type(value) is not datetime or value.tzinfo is None:
        value = _parse(value, ctx, None)
        if value is None:
            return None
        if value.tzinfo is None:
            value = _local(value, ctx.timezone)
    return _utc_text(value, pattern)


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
