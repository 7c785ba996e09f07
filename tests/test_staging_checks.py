"""Staging's compiled forms give exactly what the plain ones give: constraint checks and content hashes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from executor.constraints import check_values, checker
from executor.staging import content_hash, hasher
from mapper.schema import Field

FIELDS = [
    Field("n", type="int"), Field("m", type="money", required=True), Field("b", type="bool"),
    Field("d", type="date"), Field("t", type="datetime", required=True), Field("e", type="email"),
    Field("p", type="phone"), Field("k", type="enum", enum_values=("A", "B")), Field("s", max_length=3),
    Field("r", required=True), Field("free"),
]
VALUES: list[Any] = [None, "", " ", "abc", "abcd", "A", "C", "x@y.com", "x@y", "+1 555 123 4567", "12",
                     "2024-01-02", "01/02/2024", "12.5", "1e3", "nan?", 0, 1, -1, True, False, 1.5, Decimal("2.50"),
                     date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc), ["a"], ("a", "b")]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_compiled_checks_equal_the_plain_ones(value: Any) -> None:
    check = checker(FIELDS)
    for _ in range(2):  # the second time from memory
        for name in [f.name for f in FIELDS]:
            record = {name: value}
            assert check(record) == check_values(record, FIELDS), name


def test_compiled_checks_of_a_whole_record() -> None:
    check = checker(FIELDS)
    record = {f.name: v for f, v in zip(FIELDS, VALUES[3:])}
    assert check(record) == check_values(record, FIELDS)
    assert check({}) == check_values({}, FIELDS)


@pytest.mark.parametrize("values", [
    {},
    {"name": "Ledger entry", "date_deadline": date(2024, 9, 28), "expected_revenue": Decimal("55.0"), "partner_id": "ref:2"},
    {"b": date(1999, 12, 31), "a": date(1999, 12, 31), "c": None, "d": datetime(2024, 1, 2, tzinfo=timezone.utc)},
    {"x": ("First", None), "y": [1, "2"], "z": True, "w": 1.25},
])
def test_content_hash_is_the_hash_of_the_sorted_keys_then_values_repr(values: dict[str, Any]) -> None:
    for _ in range(2):  # the second time, the keys' text is remembered
        keys = tuple(sorted(values))
        text = repr(keys) + repr([values[k] for k in keys])
        assert content_hash(values) == hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def test_content_hash_tells_equal_values_of_other_types_and_other_keys_apart() -> None:
    alike = [{"a": 1}, {"a": True}, {"a": 1.0}, {"a": Decimal("1")}, {"a": Decimal("1.0")}, {"a": "1"}, {"b": 1},
             {"a": 1, "b": None}, {"a": date(2024, 1, 2)}, {"a": datetime(2024, 1, 2)}]
    assert len({content_hash(v) for v in alike}) == len(alike)
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


def test_a_hasher_for_known_keys_equals_content_hash_for_any_record() -> None:
    hash_ = hasher(["b", "a", "c", "a"])
    for values in ({"a": 1, "b": "x", "c": None}, {"c": date(2024, 1, 2), "a": True, "b": Decimal("1.0")},
                   {"a": 1, "b": 2, "d": 3}, {"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3, "d": 4}, {}):
        assert hash_(values) == content_hash(values), values
