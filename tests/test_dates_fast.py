"""The cached date transforms give exactly what the plain ones gave: results, codes, messages and bounded caches."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytest

from mapper.schema import Field
from mapper.spec import TransformStep
from mapper.transforms import REGISTRY, Chain, TransformContext, TransformError
from mapper.transforms import _dates
from mapper.transforms._core import is_empty, target_label
from mapper.transforms._dates import FORMAT_NAMES, OUTPUT_FORMATS

# The implementations before the caches, kept verbatim as the reference.
_REFERENCE_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")


def _reference_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError("bad_timezone", f"'{name}' is not a time zone name.", hint="Use an IANA name such as America/Chicago.") from None


def _reference_bad(ctx: TransformContext, what: str, code: str = "invalid_date") -> TransformError:
    return TransformError(code, f"{target_label(ctx)} {what}.", hint="Fix it in the source or set the format in mapping.yaml.")


def _reference_iso(text: str, ctx: TransformContext) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _reference_bad(ctx, "is not an ISO-8601 date") from None


def _reference_parse(value: Any, ctx: TransformContext, fmt: str | None) -> datetime | None:
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        raise _reference_bad(ctx, "holds a year only, not a date", "year_only")
    pattern = FORMAT_NAMES.get(fmt, fmt) if fmt else None
    if pattern is None:
        if _REFERENCE_SLASHED.match(text):
            raise _reference_bad(ctx, "has a day/month order that needs an explicit format", "ambiguous_date")
        pattern = "iso"
    if pattern == "iso":
        return _reference_iso(text, ctx)
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        raise _reference_bad(ctx, f"does not match the format {fmt}") from None


def _reference_date(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    parsed = _reference_parse(value, ctx, format)
    return None if parsed is None else parsed.date()


def _reference_datetime(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    parsed = _reference_parse(value, ctx, format)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_reference_zone(ctx.timezone))


def _reference_datetime_combine(value: Any, ctx: TransformContext, /, *, format: str | None = None) -> Any:
    parts = list(value) if isinstance(value, (list, tuple)) else [value]
    day = _reference_parse(parts[0] if parts else None, ctx, format)
    if day is None:
        return None
    try:
        hour = int(parts[1]) if len(parts) > 1 and not is_empty(parts[1]) else 0
        minute = int(parts[2]) if len(parts) > 2 and not is_empty(parts[2]) else 0
        later = int(parts[3]) if len(parts) > 3 and not is_empty(parts[3]) else 0
        combined = day.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(minutes=later)
    except (TypeError, ValueError):
        raise _reference_bad(ctx, "has an hour or minute out of range", "invalid_time") from None
    return combined if combined.tzinfo is not None else combined.replace(tzinfo=_reference_zone(ctx.timezone))


def _reference_to_timezone(value: Any, ctx: TransformContext, /, *, tz: str, source_tz: str | None = None) -> Any:
    parsed = _reference_parse(value, ctx, None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_reference_zone(source_tz or ctx.timezone))
    return parsed.astimezone(_reference_zone(tz))


def _reference_to_utc(value: Any, ctx: TransformContext, /, *, format: str = "iso") -> Any:
    pattern = OUTPUT_FORMATS.get(format)
    if pattern is None:
        raise TransformError("bad_transform", f"to_utc format '{format}' is unknown.", hint=f"Use one of: {', '.join(OUTPUT_FORMATS)}.")
    parsed = _reference_parse(value, ctx, None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_reference_zone(ctx.timezone))
    return parsed.astimezone(timezone.utc).strftime(pattern)


REFERENCE: dict[str, Callable[..., Any]] = {
    "date": _reference_date,
    "datetime": _reference_datetime,
    "datetime_combine": _reference_datetime_combine,
    "to_timezone": _reference_to_timezone,
    "to_utc": _reference_to_utc,
}

ZONES = ["America/Chicago", "Europe/London", "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "Mars/Base", "", "../etc", "america/chicago"]
GOOD_ZONES = ["America/Chicago", "Europe/London", "UTC", "Asia/Kolkata"]
DST_DAYS = ["2024-03-10", "2024-11-03", "2024-03-31", "2024-10-27", "2023-03-12", "2023-11-05", "2023-03-26", "2023-10-29"]
FORMATS = [None, "", "MM/DD/YYYY", "DD/MM/YYYY", "MM-DD-YYYY", "DD.MM.YYYY", "YYYYMMDD", "YYYY-MM-DD", "ISO",
           "ISO-8601 datetime", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%Y"]
OUTPUTS = ["iso", "odoo", "salesforce", "date", "excel"]
TARGETS = [None, Field(name="start"), Field(name="close_date")]


def _outcome(fn: Callable[..., Any], value: Any, ctx: TransformContext, args: dict[str, Any]) -> tuple[Any, ...]:
    """What a call gave, comparable across implementations (repr pins type, fields, fold and zone)."""
    try:
        result = fn(value, ctx, **args)
    except TransformError as exc:
        return ("rejected", exc.code, exc.message, exc.hint, tuple(ctx.warnings))
    except Exception as exc:  # noqa: BLE001  (an unexpected error must be the same error)
        return ("raised", type(exc), str(exc))
    extra = (result.utcoffset(), result.fold) if isinstance(result, datetime) else ()
    return ("ok", type(result), repr(result), str(result), extra, tuple(ctx.warnings))


def _assert_same(name: str, value: Any, args: dict[str, Any], timezone_name: str = "UTC", target: Field | None = None) -> None:
    new = _outcome(REGISTRY[name], value, TransformContext(target=target, timezone=timezone_name), args)
    old = _outcome(REFERENCE[name], value, TransformContext(target=target, timezone=timezone_name), args)
    assert new == old, (name, value, args, timezone_name)


def _iso_day(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(DST_DAYS)
    if roll < 0.3:
        return rng.choice(["0001-01-01", "0999-06-30", "1000-01-01", "1883-11-18", "9999-12-31", "2024-02-29", "2023-02-29"])
    return date.fromordinal(date(1990, 1, 1).toordinal() + rng.randrange(0, 16000)).isoformat()


def _day_value(rng: random.Random) -> tuple[Any, str | None]:
    """A date-ish value and the format to read it with."""
    day = _iso_day(rng)
    y, m, d = day.split("-")
    kind = rng.randrange(22)
    if kind < 6:
        return day, None
    if kind == 6:
        return f" {day} ", rng.choice([None, "ISO", "YYYY-MM-DD"])
    if kind == 7:
        clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
        tail = rng.choice(["", "Z", "+00:00", "-05:00", "+05:30", ".123456", ".5Z", "-00:00"])
        return f"{day}{rng.choice(['T', ' '])}{clock}{tail}", rng.choice([None, None, "ISO-8601 datetime"])
    if kind == 8:
        fmt = rng.choice(["MM/DD/YYYY", "%m/%d/%Y", "DD/MM/YYYY", None])
        return f"{m}/{d}/{y}", fmt
    if kind == 9:
        return f"{d}.{m}.{y}", rng.choice(["DD.MM.YYYY", "MM-DD-YYYY", None])
    if kind == 10:
        return f"{m}-{d}-{y}", rng.choice(["MM-DD-YYYY", None, "DD/MM/YYYY"])
    if kind == 11:
        return f"{y}{m}{d}", rng.choice(["YYYYMMDD", None])
    if kind == 12:
        return rng.choice(["2024", " 1999 ", "٢٠٢٤", "12345", "024"]), rng.choice([None, "%Y", "MM/DD/YYYY"])
    if kind == 13:
        return rng.choice(["03/05/2024", "3/5/24", "12.05.2024", "1-2-2024", "03/05/2024\n", "3/5/2024 9:30"]), None
    if kind == 14:
        return rng.choice([None, "", "   ", "\n\t", (), ("", None), [" "]]), rng.choice(FORMATS)
    if kind == 15:
        return rng.choice(["abc", "Z", "2024-13-01", "2024-02-30", "2024W10", "2024-W10-1", "20240305T0930",
                           "2024-03-05T25:00", "2024/03/05", "T", "--"]), rng.choice(FORMATS)
    if day == "2023-02-29":
        day = "2023-03-01"
    if kind == 16:
        return date.fromisoformat(day), rng.choice(FORMATS)
    if kind == 17:
        naive = datetime.fromisoformat(day).replace(hour=rng.randrange(24), minute=rng.randrange(60),
                                                    second=rng.randrange(60), microsecond=rng.choice([0, 999999]))
        zone = rng.choice([None, None, ZoneInfo("America/Chicago"), ZoneInfo("Europe/London"), timezone.utc,
                           timezone(timedelta(hours=-6)), timezone(timedelta(hours=5, minutes=30))])
        return naive.replace(tzinfo=zone, fold=rng.choice([0, 1])), rng.choice(FORMATS)
    if kind == 18:
        return rng.choice([20240305, 2024, 3.5, Decimal("2024"), True, 0]), rng.choice(FORMATS)
    if kind == 19:
        return rng.choice(["%s/%s/%s 09:30" % (d, m, y), "%s/%s/%s" % (d, m, y)]), rng.choice(["%d/%m/%Y %H:%M", "DD/MM/YYYY"])
    if kind == 20:
        return day, rng.choice(FORMATS)
    return rng.choice([f"{day}T02:30", f"{day} 01:30:00", f"{day}T01:59:59.999999"]), None


def _clock_part(rng: random.Random, low: int, high: int) -> Any:
    roll = rng.random()
    if roll < 0.7:
        return rng.randrange(low, high)
    return rng.choice([None, "", " ", str(rng.randrange(low, high)), f" {rng.randrange(low, high)} ", "-1", -1, high, high + 1,
                       25, 60, 99, "9.5", 9.7, True, False, "x", Decimal("7"), 10**30, -10**30, float("nan"), float("inf"),
                       [3], ("", None)])


def _combine_value(rng: random.Random) -> tuple[Any, str | None]:
    day, fmt = _day_value(rng)
    size = rng.choice([0, 1, 2, 3, 3, 3, 4, 4, 4, 5])
    later = rng.choice([0, 15, 30, 45, 60, 90, 1440, -60, -1441, "45", None, " ", 10**6, 10**12, 5.5])
    parts = [day, _clock_part(rng, 0, 24), _clock_part(rng, 0, 60), later, 7][:size]
    roll = rng.random()
    if roll < 0.1:
        return parts, fmt
    if roll < 0.15:
        return day, fmt
    return tuple(parts), fmt


@pytest.mark.parametrize("seed", range(4))
def test_the_date_transforms_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3000):
        target = rng.choice(TARGETS)
        zone = rng.choice(ZONES) if rng.random() < 0.3 else rng.choice(GOOD_ZONES)
        combine, combine_fmt = _combine_value(rng)
        day, fmt = _day_value(rng)
        for _twice in range(2):  # the second call reads the caches
            _assert_same("datetime_combine", combine, {} if combine_fmt is None else {"format": combine_fmt}, zone, target)
            _assert_same("date", day, {} if fmt is None else {"format": fmt}, zone, target)
            _assert_same("datetime", day, {} if fmt is None else {"format": fmt}, zone, target)
            _assert_same("to_utc", day, {"format": rng.choice(OUTPUTS)}, zone, target)
            _assert_same("to_timezone", day, {"tz": rng.choice(ZONES), "source_tz": rng.choice([None, *ZONES])}, zone, target)


@pytest.mark.parametrize("zone", ["America/Chicago", "Europe/London", "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "Mars/Base"])
def test_the_appointment_chain_matches_the_reference_around_dst(zone: str) -> None:
    target = Field(name="start")
    for day in DST_DAYS + ["2024-07-01", "0001-01-01", "9999-12-31", "2024-02-29"]:
        for hour in range(24):
            for minute in (0, 15, 30, 59):
                for parts in ((day, hour, minute), (day, hour, minute, 45), (day, hour, minute, 61), [day, str(hour), None]):
                    for fmt in OUTPUTS[:4]:
                        new_ctx, old_ctx = TransformContext(target=target, timezone=zone), TransformContext(target=target, timezone=zone)
                        new = _outcome(lambda v, c: REGISTRY["to_utc"](REGISTRY["datetime_combine"](v, c), c, format=fmt), parts, new_ctx, {})
                        old = _outcome(lambda v, c: _reference_to_utc(_reference_datetime_combine(v, c), c, format=fmt), parts, old_ctx, {})
                        assert new == old, (parts, zone, fmt)


def test_the_chain_gives_the_reference_text_and_error_messages() -> None:
    chain = Chain([TransformStep(name="datetime_combine"), TransformStep(name="to_utc", args={"format": "odoo"})],
                  Field(name="start"), timezone="America/Chicago")
    assert chain(("2024-03-10", 1, 30, 60)) == ("2024-03-10 08:30:00", ())
    assert chain(("2024-11-03", "1", "30")) == ("2024-11-03 06:30:00", ())
    assert chain(["2024-07-01", None, None]) == ("2024-07-01 05:00:00", ())
    with pytest.raises(TransformError) as info:
        chain(("2024-07-01", 25, 0))
    assert (info.value.code, info.value.message) == ("invalid_time", "start has an hour or minute out of range.")
    with pytest.raises(TransformError) as info:
        chain(("03/05/2024", 9, 0))
    assert (info.value.code, info.value.message) == ("ambiguous_date", "start has a day/month order that needs an explicit format.")
    other = Chain([TransformStep(name="date", args={"format": "MM/DD/YYYY"})], Field(name="close_date"))
    for label, run in (("close_date", other), ("value", Chain([TransformStep(name="date", args={"format": "MM/DD/YYYY"})]))):
        with pytest.raises(TransformError) as info:
            run("31/12/2024")
        assert info.value.message == f"{label} does not match the format MM/DD/YYYY."


def test_year_only_and_slashed_checks_match_the_regexes() -> None:
    rng = random.Random(5)
    digits = [chr(c) for c in range(0x110000) if chr(c).isdecimal()]
    assert all(re.fullmatch(r"\d", c) for c in digits)
    for _ in range(5000):
        text = "".join(rng.choice([*digits[:40], "/", ".", "-", "0", "1", "2", "x", " "]) for _ in range(rng.randrange(1, 11))).strip()
        if not text:
            continue
        for fmt in (None, "MM/DD/YYYY"):
            new = _outcome(REGISTRY["date"], text, TransformContext(), {"format": fmt})
            old = _outcome(_reference_date, text, TransformContext(), {"format": fmt})
            assert new == old, (text, fmt)


def test_the_caches_are_bounded() -> None:
    ctx = TransformContext(timezone="America/Chicago")
    for cached in (_dates._read, _dates._day_text, _dates._clock_text, _dates._minutes):
        assert cached.cache_info().maxsize == _dates.CACHE_SIZE
    start = date(1800, 1, 1).toordinal()
    for n in range(_dates.CACHE_SIZE + 500):
        day = date.fromordinal(start + n).isoformat()
        REGISTRY["date"](day, ctx)
        REGISTRY["to_utc"](f"{day} {n % 24:02d}:{n % 60:02d}:{n % 59:02d}", ctx, format="salesforce")
        REGISTRY["datetime_combine"]((day, 0, 0, n), ctx)
    for cached in (_dates._read, _dates._day_text, _dates._clock_text, _dates._minutes):
        assert cached.cache_info().currsize <= _dates.CACHE_SIZE
    saved = dict(_dates._ZONES)
    try:
        for name in sorted(available_timezones())[: _dates.ZONE_CACHE * 2]:
            assert REGISTRY["datetime"]("2024-01-01", TransformContext(timezone=name)).tzinfo == ZoneInfo(name)
        assert len(_dates._ZONES) <= _dates.ZONE_CACHE
    finally:
        _dates._ZONES.clear()
        _dates._ZONES.update(saved)
