"""The named transforms: each pure, typed, rejecting with a code and never echoing the value."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from mapper.schema import Field
from mapper.spec import TransformStep
from mapper.transforms import (
    REGISTRY,
    TransformContext,
    TransformError,
    check_step,
    detect_date_format,
    run_chain,
)
import mapper.transforms as transforms


def run(name: str, value: Any, ctx: TransformContext | None = None, **args: Any) -> Any:
    return REGISTRY[name](value, ctx or TransformContext(), **args)


def rejects(name: str, value: Any, code: str, ctx: TransformContext | None = None, **args: Any) -> None:
    with pytest.raises(TransformError) as info:
        run(name, value, ctx, **args)
    assert info.value.code == code
    if isinstance(value, str) and len(value.strip()) > 2:
        assert value.strip() not in str(info.value), "a rejection must never carry the value"


def test_public_surface_is_pinned() -> None:
    assert sorted(transforms.__all__) == [
        "Chain", "OUTPUT_FORMATS", "Outcome", "PREDICATES", "Predicate", "REGISTRY", "Step", "TransformContext", "TransformError", "TransformFn",
        "TransformWarning", "VOCABULARIES", "check_step", "code_key", "detect_date_format", "parse_money", "run_chain",
    ]


@pytest.mark.parametrize(
    ("name", "value", "args", "expected"),
    [
        ("trim", "  Jane   Doe ", {}, "Jane Doe"),
        ("trim", None, {}, None),
        ("none_if_empty", "   ", {}, None),
        ("none_if_empty", ("", None), {}, None),
        ("none_if_empty", 0, {}, 0),
        ("upper", "md", {}, "MD"),
        ("lower", "Jane@X.COM", {}, "jane@x.com"),
        ("title", "o'NEIL-SMITH", {}, "O'Neil-Smith"),
        ("split_name", "Jane Ann Doe", {}, ("Jane Ann", "Doe")),
        ("split_name", "Doe, Jane", {}, ("Jane", "Doe")),
        ("split_name", "Cher", {}, (None, "Cher")),
        ("first_name", "Doe, Jane", {}, "Jane"),
        ("last_name", "Jane Doe", {}, "Doe"),
        ("last_name", ("Jane", "Doe"), {}, "Doe"),
        ("join", ("12 Main St", None, " Apt 2"), {"separator": ", "}, "12 Main St, Apt 2"),
        ("join", (None, ""), {}, None),
        ("concat", ("555", "1234"), {}, "5551234"),
        ("constant", "anything", {"to": "person"}, "person"),
        ("default", "", {"to": "unknown"}, "unknown"),
        ("default", "x", {"to": "unknown"}, "x"),
        ("coalesce", (None, " ", "2024-01-02", "2023-01-01"), {}, "2024-01-02"),
        ("coalesce", (None, ""), {}, None),
        ("html_escape", "a < b\nc & d", {}, "a &lt; b<br>\nc &amp; d"),
        ("markdown", "* not a list\n# not a heading", {}, "\\* not a list  \n\\# not a heading"),
        ("markdown", "1. first", {}, "1\\. first"),
        ("bool", "Y", {}, True),
        ("bool", "no", {}, False),
        ("bool", 1, {}, True),
        ("bool", "", {}, None),
        ("bool", None, {"empty": False}, False),
    ],
)
def test_text_transforms(name: str, value: Any, args: dict[str, Any], expected: Any) -> None:
    assert run(name, value, **args) == expected


@pytest.mark.parametrize("text", ["", "a", "  padded  ", "MiXeD cAsE 12", "ünïcode ß"])
@pytest.mark.parametrize("name", ["trim", "upper", "lower", "title"])
def test_case_and_trim_are_idempotent(name: str, text: str) -> None:
    once = run(name, text)
    assert run(name, once) == once


def test_bool_rejects_unknown_words() -> None:
    rejects("bool", "maybe", "invalid_bool")
    rejects("bool", 7, "invalid_bool")


def test_truncate_uses_target_length_and_warns() -> None:
    ctx = TransformContext(target=Field("city", max_length=5))
    assert run("truncate", "Springfield", ctx) == "Sprin"
    assert [w.code for w in ctx.warnings] == ["truncated"]
    assert "Springfield" not in ctx.warnings[0].message
    assert run("truncate", "abc", ctx, length=2) == "ab"
    assert run("truncate", "short", TransformContext()) == "short"


@pytest.mark.parametrize(
    ("name", "value", "region", "expected"),
    [
        ("phone_e164", "(312) 201-3344", "US", "+13122013344"),
        ("phone_e164", "020 7946 0018", "GB", "+442079460018"),
        ("phone_e164", "+44 20 7946 0018", "US", "+442079460018"),
        ("phone_national", "(312) 201-3344", "US", "3122013344"),
        ("phone_country", "+44 20 7946 0018", "US", "GB"),
        ("phone_calling_code", "(312) 201-3344", "US", "+1"),
        ("phone_e164", "", "US", None),
    ],
)
def test_phones(name: str, value: str, region: str, expected: str | None) -> None:
    assert run(name, value, TransformContext(region=region)) == expected


@pytest.mark.parametrize("value", ["12", "not a phone", "555-0000000000000"])
def test_invalid_phone_is_rejected(value: str) -> None:
    rejects("phone_e164", value, "invalid_phone")


def test_phone_region_argument_beats_context() -> None:
    assert run("phone_e164", "020 7946 0018", TransformContext(region="US"), region="GB") == "+442079460018"


def test_email() -> None:
    assert run("email_normalise", " Jane.Doe@Example.COM ") == "Jane.Doe@example.com"
    assert run("email_normalise", None) is None
    for bad in ["jane@", "jane.example.com", "jane@@x.com", "a b@x.com"]:
        rejects("email_normalise", bad, "invalid_email")


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2024-03-05", None, date(2024, 3, 5)),
        ("2024-03-05T10:30:00Z", None, date(2024, 3, 5)),
        ("03/05/2024", "MM/DD/YYYY", date(2024, 3, 5)),
        ("03/05/2024", "DD/MM/YYYY", date(2024, 5, 3)),
        ("05.03.2024", "%d.%m.%Y", date(2024, 3, 5)),
        (date(2020, 1, 2), None, date(2020, 1, 2)),
        (datetime(2020, 1, 2, 3, 4), None, date(2020, 1, 2)),
        ("", None, None),
    ],
)
def test_date(value: Any, fmt: str | None, expected: date | None) -> None:
    assert run("date", value, format=fmt) == expected


def test_date_rejections() -> None:
    rejects("date", "1987", "year_only")
    rejects("date", "03/05/2024", "ambiguous_date")
    rejects("date", "13/05/2024", "ambiguous_date")  # even when this value could only be one way
    rejects("date", "31/12/2024", "invalid_date", format="MM/DD/YYYY")
    rejects("date", "yesterday", "invalid_date")


def test_detect_date_format_per_column() -> None:
    assert detect_date_format(["01/31/2024", "02/01/2024"]) == "MM/DD/YYYY"
    assert detect_date_format(["31/01/2024", "01/02/2024"]) == "DD/MM/YYYY"
    assert detect_date_format(["2024-01-31", None]) is None
    assert detect_date_format(["01/01/2024", "02/02/2024"]) == "MM/DD/YYYY"  # both read them the same
    with pytest.raises(TransformError) as info:
        detect_date_format(["01/02/2024", "03/04/2024"])
    assert info.value.code == "ambiguous_date"


def test_datetime_combine_and_time_zones() -> None:
    ctx = TransformContext(timezone="America/Chicago")
    start = run("datetime_combine", ("2024-07-01", 9, 30), ctx)
    assert start.isoformat() == "2024-07-01T09:30:00-05:00"
    assert run("to_utc", start, ctx) == "2024-07-01T14:30:00Z"
    assert run("to_utc", start, ctx, format="odoo") == "2024-07-01 14:30:00"
    assert run("to_utc", "2024-07-01 09:30:00", ctx, format="salesforce") == "2024-07-01T14:30:00.000+0000"
    assert run("to_timezone", start, ctx, tz="Europe/London").hour == 15
    rejects("datetime_combine", ("2024-07-01", 25, 0), "invalid_time", ctx)
    rejects("to_utc", "2024-07-01 09:30", "bad_timezone", TransformContext(timezone="Mars/Base"))
    aware = run("datetime", "2024-01-01T00:00:00+00:00", ctx)
    assert aware.tzinfo is not None and aware.utcoffset().total_seconds() == 0
    assert run("datetime", "2024-01-01 08:00", ctx).astimezone(timezone.utc).hour == 14


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$1,234.50", Decimal("1234.50")),
        ("-$5.00", Decimal("-5.00")),
        ("($12.00)", Decimal("-12.00")),
        ("12.00-", Decimal("-12.00")),
        ("£ 7", Decimal("7")),
        ("+3.10", Decimal("3.10")),
        (".5", Decimal("0.5")),
        (7, Decimal(7)),
        (0.1, Decimal("0.1")),
        ("", None),
    ],
)
def test_money(value: Any, expected: Decimal | None) -> None:
    result = run("money", value)
    assert result == expected
    assert result is None or isinstance(result, Decimal)


def test_money_options_and_rejections() -> None:
    assert run("money", "1.234,56", decimal_comma=True) == Decimal("1234.56")
    assert run("money", "2.345", places=2) == Decimal("2.34")
    for bad in ["12abc", "1,2,3", "--5", "$"]:
        rejects("money", bad, "invalid_money")


@pytest.mark.parametrize("amount", ["0", "0.01", "-19.99", "123456.78", "1,000.00"])
def test_micros_round_trip(amount: str) -> None:
    micros = run("to_micros", amount)
    assert isinstance(micros, int)
    assert Decimal(micros) / 1_000_000 == run("money", amount)
    assert run("negate", run("negate", amount)) == run("money", amount)


def test_micros_rejects_sub_micro_amounts() -> None:
    rejects("to_micros", "0.0000001", "invalid_money")


@pytest.mark.parametrize(
    ("value", "vocabulary", "expected"),
    [
        (1, "dentrix_patient_status", "active"),
        ("4", "dentrix_patient_status", "archived"),
        (2, "dentrix_gender", "female"),
        (-106, "dentrix_appt_status", "completed"),
        ("3", "dentrix_fampos", "child"),
        (1, "dentrix_proclogclass", "payment"),
        ("Did not attend", "dentally_appointment_state", "no_show"),
        ("In surgery", "dentally_appointment_state", "in_chair"),
        (False, "dentally_patient_active", "inactive"),
    ],
)
def test_vocabularies(value: Any, vocabulary: str, expected: str) -> None:
    assert run("value_map", value, vocabulary=vocabulary) == expected


def test_vocabularies_are_normalised_data() -> None:
    assert set(transforms.VOCABULARIES) >= {"dentrix_patient_status", "dentrix_gender", "dentrix_appt_status",
                                            "dentrix_fampos", "dentrix_proclogclass", "dentally_appointment_state"}
    for table in transforms.VOCABULARIES.values():
        for code, label in table.items():
            assert code == code.strip().lower()
            assert label.replace("_", "").isalpha() and label == label.lower()


def test_value_map_overrides_default_and_rejects() -> None:
    assert run("value_map", "77", vocabulary="dentrix_appt_status", map={"77": "arrived"}) == "arrived"
    assert run("value_map", "9", vocabulary="dentrix_gender", default=None) is None
    assert run("value_map", "9", map={"1": "x"}, default="other") == "other"
    rejects("value_map", "9", "unknown_code", vocabulary="dentrix_gender")
    rejects("value_map", "1", "bad_transform", vocabulary="nope")


def test_picklist_against_target_options() -> None:
    ctx = TransformContext(target=Field("stage", type="enum", enum_values=("PROPOSED", "COMPLETED")))
    assert run("picklist", "Proposed", ctx) == "PROPOSED"
    assert run("picklist", "done", ctx, map={"done": "COMPLETED"}) == "COMPLETED"
    assert run("picklist", "x", ctx, default="PROPOSED") == "PROPOSED"
    rejects("picklist", "In progress", "invalid_option", ctx)
    multi = TransformContext(target=Field("alerts", type="enum", enum_values=("PENICILLIN_ALLERGY", "LATEX_ALLERGY")))
    assert run("picklist", ["Penicillin allergy", "Latex allergy"], multi, enum_names=True) == [
        "PENICILLIN_ALLERGY", "LATEX_ALLERGY"]
    assert run("enum_safe", "Heart condition") == "HEART_CONDITION"


def test_cdt() -> None:
    assert run("cdt_validate", " d0120 ") == "D0120"
    rejects("cdt_validate", "X1234", "invalid_cdt")
    rejects("cdt_validate", "D012", "invalid_cdt")
    assert run("cdt_validate", "PRAC1", allow_custom=True) == "PRAC1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", "3"), ("#03", "3"), ("a", "A"), ("2-5", "2-5"), (("2", "5"), "2-5"), (("14", "14"), "14"), ("K - T", "K-T")],
)
def test_tooth(value: Any, expected: str) -> None:
    assert run("tooth", value) == expected


@pytest.mark.parametrize("value", ["33", "0", "U", "5-2", "3-A", "1-2-3"])
def test_tooth_rejections(value: str) -> None:
    rejects("tooth", value, "invalid_tooth")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("dom", "MOD"), ("O,D", "OD"), ((1, 1, 1, 0, 0), "MOD"), ((0, 0, 0, 1, 1), "FL"), ((0, 0, 0, 0, 0), None)],
)
def test_surfaces(value: Any, expected: str | None) -> None:
    assert run("surfaces", value) == expected


def test_surfaces_rejects_letters_that_are_not_surfaces() -> None:
    rejects("surfaces", "MOX", "invalid_surface")


def test_run_chain_and_check_step() -> None:
    steps = [TransformStep(name="trim"), TransformStep(name="value_map", args={"vocabulary": "dentrix_gender"})]
    assert run_chain(steps, " 1 ", TransformContext()) == "male"
    assert check_step("trim", {}) is None
    assert "unknown transform 'trimm'" in (check_step("trimm", {}) or "")
    assert "unexpected keyword" in (check_step("trim", {"x": 1}) or "")
    assert "missing" in (check_step("constant", {}) or "")
    with pytest.raises(TransformError) as info:
        run_chain([TransformStep(name="nope")], "v", TransformContext())
    assert info.value.code == "bad_transform"


@pytest.mark.parametrize(
    ("name", "record", "expected"),
    [
        ("only_active", {"status": 1}, True),
        ("only_active", {"status": "3"}, False),
        ("only_active", {"active": True}, True),
        ("only_active", {"active": False, "status": 1}, False),
        ("not_archived", {"status": 4}, False),
        ("not_archived", {"archived_reason": "moved"}, False),
        ("not_archived", {"status": 1}, True),
        ("has_patient", {"patid": 0}, False),
        ("has_patient", {"patient_id": None}, False),
        ("has_patient", {"patid": 12}, True),
        ("not_deleted", {"deletedflag": 1}, False),
        ("not_deleted", {}, True),
    ],
)
def test_predicates(name: str, record: dict[str, Any], expected: bool) -> None:
    assert transforms.PREDICATES[name](record) is expected


def test_every_transform_passes_none_through_or_rejects_with_a_code() -> None:
    required = {"constant": {"to": 1}, "default": {"to": 1}, "to_timezone": {"tz": "UTC"},
                "duration_unit": {"source_unit": "minutes", "target_unit": "hours"}}
    for name, fn in REGISTRY.items():
        try:
            fn(None, TransformContext(), **required.get(name, {}))
        except TransformError as exc:
            assert exc.code


def test_chain_remembers_per_distinct_input_and_keeps_lookalikes_apart() -> None:
    steps = [TransformStep(name="money")]
    chain = transforms.Chain(steps)
    for value in (Decimal("1.0"), Decimal("1"), 1, 1.0, "1", "1.0", Decimal("1.0"), 1, "1"):
        expected = run_chain(steps, value, TransformContext())
        got, warned = chain(value)
        assert (type(got), str(got), warned) == (type(expected), str(expected), ())
    with pytest.raises(TransformError):
        chain(True)
    assert str(chain(Decimal("1"))[0]) == "1" and str(chain(Decimal("1.0"))[0]) == "1.0"


def test_chain_replays_rejections_and_warnings_from_memory() -> None:
    chain = transforms.Chain([TransformStep(name="phone_e164")])
    for _ in range(3):
        with pytest.raises(TransformError) as info:
            chain("12")
        assert info.value.code == "invalid_phone"
    cut = transforms.Chain([TransformStep(name="truncate", args={"length": 3})])
    for _ in range(3):
        value, warned = cut("abcdef")
        assert value == "abc" and [w.code for w in warned] == ["truncated"]


def test_chain_does_not_share_mutable_results() -> None:
    chain = transforms.Chain([TransformStep(name="enum_safe")])
    first, _ = chain(["a b", "c"])
    first.append("x")
    assert chain(["a b", "c"])[0] == ["A_B", "C"]


def test_chain_stops_remembering_mostly_distinct_values() -> None:
    chain = transforms.Chain([TransformStep(name="trim")])
    for i in range(3000):
        assert chain(f" note {i} ") == (f"note {i}", ())
    assert chain._memo is None


def test_chain_reports_a_bad_step_per_record() -> None:
    chain = transforms.Chain([TransformStep(name="nope")])
    for _ in range(2):
        with pytest.raises(TransformError) as info:
            chain("v")
        assert info.value.code == "bad_transform"


def test_no_transform_reads_the_record() -> None:
    """Chain remembers results per input value, so a transform may depend on its value, arguments,
    target, region and time zone only."""
    import inspect

    for name, fn in REGISTRY.items():
        assert "ctx.record" not in inspect.getsource(fn), name
