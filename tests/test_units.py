"""Numbers with units: Dentrix's appointment length (minutes) must reach Odoo's duration (hours) as hours."""

from decimal import Decimal

import pytest

from mapper.propose.proposer import suggest_transforms
from mapper.schema import Field
from mapper.transforms import REGISTRY, TransformContext, TransformError, run_chain
from mapper.spec import TransformStep


def _convert(value: object, source: str = "minutes", target: str = "hours") -> object:
    step = TransformStep(name="duration_unit", args={"source_unit": source, "target_unit": target})
    return run_chain([step], value, TransformContext(target=Field("duration", "decimal")))


@pytest.mark.parametrize(("value", "hours"), [(60, 1), (90, 1.5), ("45", 0.75), (Decimal("30"), 0.5), (None, None), ("", None)])
def test_minutes_become_hours(value: object, hours: object) -> None:
    assert _convert(value) == hours


def test_whole_results_stay_whole_and_reverse_works() -> None:
    assert _convert(2, "hours", "minutes") == 120
    assert isinstance(_convert(120), int)


def test_not_a_number_is_a_clear_error() -> None:
    with pytest.raises(TransformError) as err:
        _convert("an hour")
    assert "not a number of minutes" in str(err.value)


def test_the_proposal_converts_only_where_the_units_differ() -> None:
    assert "duration_unit" in REGISTRY
    apptlen, odoo = Field("apptlen", "int"), Field("duration", "decimal")
    steps = suggest_transforms(apptlen, odoo, "odoo")
    assert [(s.name, s.args) for s in steps if s.name == "duration_unit"] == [
        ("duration_unit", {"source_unit": "minutes", "target_unit": "hours"})]
    salesforce = Field("DurationInMinutes", "int")
    assert not [s for s in suggest_transforms(apptlen, salesforce, "salesforce") if s.name == "duration_unit"]
    assert not [s for s in suggest_transforms(apptlen, odoo) if s.name == "duration_unit"]  # kind unknown: no guess
