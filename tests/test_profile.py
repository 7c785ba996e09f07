"""Value profiles: patterns, masking, bounded memory, no full values kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from mapper.profile import Profiler, infer_type, mask, profile_records
from mapper.schema import Field, Schema, Entity


def _records(n: int) -> list[dict[str, object]]:
    return [
        {
            "email": f"person{i}@example.com" if i % 10 else "",
            "pager": f"(555) 01{i % 10}-{1000 + i % 9000}",
            "birthdate": f"{(i % 12) + 1:02d}/{(i % 28) + 1:02d}/19{50 + i % 50}",
            "adacode": "D0120" if i % 3 else "D1110",
            "status": str(1 + i % 3),
            "amt": Decimal("12.50"),
            "lastname": f"Name{i}",
            "visit": date(2020, 1, 1 + i % 28),
        }
        for i in range(n)
    ]


def test_patterns_and_types_are_detected() -> None:
    prof = profile_records(_records(3000), list(_records(1)[0]))
    assert prof["email"].null_rate == 0.1
    assert infer_type(prof["email"]) == "email"
    assert prof["pager"].share("phone") == 1.0 and prof["pager"].share("e164") > 0.9
    assert prof["birthdate"].date_format == "MM/DD/YYYY" and not prof["birthdate"].date_ambiguous
    assert prof["adacode"].share("cdt") == 1.0
    assert infer_type(prof["amt"]) == "money"
    assert infer_type(prof["visit"]) == "date"


def test_ambiguous_day_month_is_flagged() -> None:
    prof = profile_records([{"d": "03/04/2001"}, {"d": "05/06/1999"}], ["d"])
    assert prof["d"].date_ambiguous


def test_examples_are_masked_and_codes_kept_only_when_shared() -> None:
    records = _records(500)
    prof = profile_records(records, ["email", "lastname", "status", "birthdate"])
    full_values = {str(v) for r in records for v in r.values()}
    for p in prof.values():
        assert not (set(p.examples) & full_values)
    assert prof["status"].top_values == ("1", "2", "3")
    assert prof["lastname"].top_values == ()
    assert all("•" in e for e in prof["birthdate"].examples)


def test_mask_shapes() -> None:
    assert mask("john.smith@example.com") == "j•••@e•••.com"
    assert mask("John Smith") == "J••• S••••"
    assert mask("+44 7700 900123").endswith("23")
    assert mask("1985-04-23") == "••••-••-••"


def test_distinct_estimate_is_bounded_and_close() -> None:
    profiler = Profiler(["id"])
    for i in range(60_000):
        profiler.add({"id": f"id-{i}"})
    estimate = profiler.result()["id"].distinct_estimate
    assert 50_000 < estimate < 70_000
    assert len(profiler._stats["id"].distinct.heap) <= 1024


def test_profiles_round_trip_through_schema_json() -> None:
    prof = profile_records(_records(50), ["email"])["email"]
    schema = Schema(system="x", entities=(Entity(name="patient", fields=(Field(name="email", type="email", profile=prof),)),))
    assert Schema.from_json(schema.to_json()) == schema
