"""Streaming value profiles: what a field's values look like, in bounded memory, with masked examples only.

A profile never keeps a full patient value. Examples are masked by shape ("J••• S••••",
"j•••@e•••.com", "(•••) •••-••56"); plain values survive only as `top_values` of code-like
columns where every kept value is shared by many records (status codes, genders).
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import phonenumbers

from mapper.schema import FieldType, ValueProfile

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,20}$")
_CDT = re.compile(r"^D\d{4}$")
_TOOTH = re.compile(r"^(?:[1-9]|[12]\d|3[0-2]|[A-T])$")
_INT = re.compile(r"^[-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?\d*\.\d+$")
_MONEY = re.compile(r"^[-+]?[£$€]?\s?[-+]?\d{1,3}(?:,?\d{3})*(?:\.\d{1,2})?$")
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
_URL = re.compile(r"^https?://\S+$", re.I)
_BOOL = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YEAR_ONLY = re.compile(r"^(19|20)\d{2}$")

_KMV_K = 1024          # distinct-count sketch size: ~3% error, bounded memory
_EXACT_LIMIT = 1024    # below this many distinct values the count is exact
_PATTERN_SAMPLE = 5000  # pattern checks per field (the costly part) stop after this many values
_TOP_MAX_DISTINCT = 20
_TOP_MIN_SHARE = 5     # a kept top value must be shared by at least this many records


def mask(value: Any) -> str:
    """A shape-preserving mask of one value: letters keep their first, digits their last two."""
    if isinstance(value, (date, datetime)):
        return "••••-••-••" + ("T••:••" if isinstance(value, datetime) else "")
    text = str(value)
    if _ISO_DATE.match(text) or _ISO_DATETIME.match(text) or _SLASH_DATE.match(text):
        return re.sub(r"\d", "•", text)
    if _EMAIL.match(text):
        local, _, domain = text.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}•••@{host[:1]}•••.{tld}"
    digits = sum(c.isdigit() for c in text)
    keep_digits = 2 if digits >= 6 else 0
    out: list[str] = []
    seen_digits = 0
    word_start = True
    for c in text:
        if c.isdigit():
            seen_digits += 1
            out.append(c if seen_digits > digits - keep_digits else "•")
            word_start = False
        elif c.isalpha():
            out.append(c if word_start else "•")
            word_start = False
        else:
            out.append(c)
            word_start = True
    masked = "".join(out)
    return masked[:40] + ("…" if len(masked) > 40 else "")


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class _Distinct:
    """Exact distinct count while small, then a k-minimum-values sketch (deterministic hashing)."""

    __slots__ = ("exact", "heap", "members")

    def __init__(self) -> None:
        self.exact: set[str] | None = set()
        self.heap: list[int] = []  # max-heap (negated) of the k smallest hashes
        self.members: set[int] = set()

    def add(self, text: str) -> None:
        if self.exact is not None:
            self.exact.add(text)
            if len(self.exact) <= _EXACT_LIMIT:
                return
            values, self.exact = self.exact, None
            for v in values:
                self._add_hash(_h64(v))
            return
        self._add_hash(_h64(text))

    def _add_hash(self, h: int) -> None:
        if h in self.members:
            return
        if len(self.heap) < _KMV_K:
            heapq.heappush(self.heap, -h)
            self.members.add(h)
        elif h < -self.heap[0]:
            self.members.discard(-heapq.heapreplace(self.heap, -h))
            self.members.add(h)

    def estimate(self) -> int:
        if self.exact is not None:
            return len(self.exact)
        kth = -self.heap[0] / 2**64
        return int((_KMV_K - 1) / kth) if kth > 0 else len(self.heap)


def _classify(value: Any) -> list[str]:
    """Pattern names a single non-empty value matches."""
    if isinstance(value, bool):
        return ["bool"]
    if isinstance(value, datetime):
        return ["datetime"]
    if isinstance(value, date):
        return ["date"]
    if isinstance(value, Decimal):
        return ["money", "decimal"] if value == value.quantize(Decimal("0.01")) else ["decimal"]
    if isinstance(value, int):
        return ["int", "tooth"] if 1 <= value <= 32 else ["int"]
    if isinstance(value, float):
        return ["decimal"]
    text = str(value).strip()
    found: list[str] = []
    if _EMAIL.match(text):
        return ["email"]
    if _GUID.match(text):
        return ["guid"]
    if _URL.match(text):
        return ["url"]
    if _CDT.match(text):
        return ["cdt"]
    if _ISO_DATETIME.match(text):
        return ["datetime"]
    if _ISO_DATE.match(text) or _SLASH_DATE.match(text):
        return ["date"]
    if _YEAR_ONLY.match(text):
        found.append("year")
    if _INT.match(text):
        found.append("int")
        if _TOOTH.match(text):
            found.append("tooth")
    elif _TOOTH.match(text):
        found.append("tooth")
    if _DECIMAL.match(text):
        found.append("decimal")
    if _MONEY.match(text) and not found[:1] == ["year"]:
        found.append("money")
    if text.lower() in _BOOL:
        found.append("bool")
    digits = sum(c.isdigit() for c in text)
    if _PHONE.match(text) and 7 <= digits <= 15 and not _INT.match(text) or (_INT.match(text) and 10 <= digits <= 15):
        found.append("phone")
        if _is_e164_able(text):
            found.append("e164")
    return found


def _is_e164_able(text: str) -> bool:
    for region in ("US", "GB"):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


class _FieldStats:
    __slots__ = ("count", "nulls", "lengths", "min_len", "max_len", "distinct", "patterns",
                 "checked", "slash_first_gt12", "slash_second_gt12", "slash_total", "examples", "top")

    def __init__(self) -> None:
        self.count = 0
        self.nulls = 0
        self.lengths = 0
        self.min_len = 1 << 30
        self.max_len = 0
        self.distinct = _Distinct()
        self.patterns: Counter[str] = Counter()
        self.checked = 0
        self.slash_first_gt12 = 0
        self.slash_second_gt12 = 0
        self.slash_total = 0
        self.examples: list[str] = []
        self.top: Counter[str] | None = Counter()

    def add(self, value: Any) -> None:
        self.count += 1
        if value is None or (isinstance(value, str) and not value.strip()):
            self.nulls += 1
            return
        text = value.strip() if isinstance(value, str) else str(value)
        n = len(text)
        self.lengths += n
        self.min_len = min(self.min_len, n)
        self.max_len = max(self.max_len, n)
        self.distinct.add(text)
        if self.top is not None:
            self.top[text] += 1
            if len(self.top) > _TOP_MAX_DISTINCT or " " in text:
                self.top = None
        if self.checked < _PATTERN_SAMPLE:
            self.checked += 1
            for name in _classify(value):
                self.patterns[name] += 1
            if isinstance(value, str):
                m = _SLASH_DATE.match(text)
                if m:
                    self.slash_total += 1
                    self.slash_first_gt12 += int(m.group(1)) > 12
                    self.slash_second_gt12 += int(m.group(2)) > 12
            if len(self.examples) < 3 and self.checked % 7 == 1:
                self.examples.append(mask(value))

    def result(self) -> ValueProfile:
        filled = self.count - self.nulls
        distinct = self.distinct.estimate()
        patterns = {k: round(v / self.checked, 4) for k, v in sorted(self.patterns.items())} if self.checked else {}
        date_format, ambiguous = self._date_format()
        top: tuple[str, ...] = ()
        codelike = self.max_len <= 12 and not (set(patterns) & {"email", "phone", "guid", "date", "datetime"})
        if self.top is not None and filled >= 20 and codelike:
            common = [v for v, c in self.top.most_common() if c >= _TOP_MIN_SHARE]
            if len(common) == len(self.top):
                top = tuple(common[:10])
        return ValueProfile(
            count=self.count,
            null_rate=round(self.nulls / self.count, 4) if self.count else 0.0,
            distinct_rate=round(min(1.0, distinct / filled), 4) if filled else 0.0,
            distinct_estimate=distinct,
            min_length=self.min_len if filled else 0,
            max_length=self.max_len,
            mean_length=round(self.lengths / filled, 2) if filled else 0.0,
            patterns=patterns,
            date_format=date_format,
            date_ambiguous=ambiguous,
            examples=tuple(self.examples),
            top_values=top,
        )

    def _date_format(self) -> tuple[str | None, bool]:
        if self.checked == 0:
            return None, False
        if self.slash_total and self.slash_total >= 0.5 * self.checked:
            if self.slash_first_gt12 and not self.slash_second_gt12:
                return "DD/MM/YYYY", False
            if self.slash_second_gt12 and not self.slash_first_gt12:
                return "MM/DD/YYYY", False
            return "MM/DD/YYYY", True
        if self.patterns.get("datetime", 0) >= 0.5 * self.checked:
            return "ISO-8601 datetime", False
        if self.patterns.get("date", 0) >= 0.5 * self.checked:
            return "YYYY-MM-DD", False
        return None, False


class Profiler:
    """Feed records one at a time; `result()` gives a ValueProfile per field. Memory is bounded."""

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        self._stats = {name: _FieldStats() for name in self.fields}

    def add(self, record: Mapping[str, Any]) -> None:
        """Account for one record (missing keys count as empty)."""
        for name, stats in self._stats.items():
            stats.add(record.get(name))

    def result(self) -> dict[str, ValueProfile]:
        """Profiles keyed by field name."""
        return {name: stats.result() for name, stats in self._stats.items()}


def profile_records(
    records: Iterable[Mapping[str, Any]], fields: Sequence[str], *, limit: int | None = 20_000
) -> dict[str, ValueProfile]:
    """Profile a stream of records (at most `limit` of them; None for all)."""
    profiler = Profiler(fields)
    for i, record in enumerate(records):
        if limit is not None and i >= limit:
            break
        profiler.add(record)
    return profiler.result()


def infer_type(profile: ValueProfile, *, threshold: float = 0.9) -> FieldType:
    """A normalised type from what the values look like (for sources without declared types)."""
    p = profile.patterns
    if not p or profile.null_rate >= 1.0:
        return "string"

    def share(name: str) -> float:
        return p.get(name, 0.0)

    if share("email") >= threshold:
        return "email"
    if share("bool") >= threshold and profile.distinct_estimate <= 2:
        return "bool"
    if share("datetime") >= threshold:
        return "datetime"
    if share("date") >= threshold:
        return "date"
    if share("int") >= threshold and share("phone") < 0.5:
        return "int"
    if share("phone") >= threshold:
        return "phone"
    if share("url") >= threshold:
        return "url"
    if share("decimal") + share("int") >= threshold and share("money") >= threshold:
        return "money"
    if share("decimal") + share("int") >= threshold:
        return "decimal"
    if profile.top_values and profile.distinct_estimate <= 12:
        return "enum"
    return "text" if profile.max_length > 255 else "string"
