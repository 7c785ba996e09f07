"""Reconcile's money totals take money fields only: a decimal is money when its type or its chain says so."""

from types import SimpleNamespace

from executor.reconcile import _money_fields
from mapper.schema import Entity, Field, Schema
from mapper.spec import EntityMap, FieldMap, MappingSpec, TransformStep


def test_a_duration_in_hours_is_not_money_but_a_fee_is() -> None:
    em = EntityMap(id="appt->calendar.event", source="appt", target="calendar.event", fields=[
        FieldMap(source="apptlen", target="duration",
                 transforms=[TransformStep(name="duration_unit", args={"source_unit": "minutes", "target_unit": "hours"})]),
        FieldMap(source="amt", target="x_fee", transforms=[TransformStep(name="money")]),
        FieldMap(source="balance", target="x_balance"),
    ])
    dest = Schema("odoo", (Entity("calendar.event", (Field("duration", "decimal"), Field("x_fee", "decimal"),
                                                      Field("x_balance", "money"))),))
    session = SimpleNamespace(spec=MappingSpec(source="dentrix", destination="odoo", entities=[em]),
                              source_name="dentrix", source_schema=None, destination_schema=dest)
    assert _money_fields(session, em) == ["x_fee", "x_balance"]  # type: ignore[arg-type]
