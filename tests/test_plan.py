"""The schema plan: ordered, idempotent, limit-checked custom objects and fields."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from mapper.plan import PlanLimits, SchemaPlan, build_plan, format_plan
from mapper.schema import Entity, Field, Schema
from mapper.spec import CustomFieldDef, Decision, EntityMap, FieldMap, MappingSpec


def spec_for(kind: str) -> MappingSpec:
    if kind == "odoo":
        person, ledger, ext = "res.partner", "x_ledger_entry", "x_chart_number"
    elif kind == "twenty":
        person, ledger, ext = "person", "ledgerEntry", "chartNumber"
    else:
        person, ledger, ext = "Contact", "Ledger_Entry__c", "Chart_Number__c"
    patient = EntityMap(id=f"patient->{person}", source="patient", target=person, fields=[
        FieldMap(source="fname", target="name"),
        FieldMap(source="chartnum", target=f"custom:{ext}", kind="custom",
                 custom=CustomFieldDef(name=ext, type="string", label="Chart number", max_length=21)),
        FieldMap(source="status", target="custom:x", kind="custom", decision=Decision(status="rejected")),
    ])
    ledger_map = EntityMap(id=f"ledger->{ledger}", source="ledger", target=f"custom:{ledger}", kind="custom_object", fields=[
        FieldMap(source="patid", target="patient", kind="relation", lookup=f"patient->{person}"),
    ])
    skipped = EntityMap(id="perio->skip", source="perio", target="", kind="skip")
    return MappingSpec(source="dentrix", destination=kind, entities=[ledger_map, patient, skipped])


def odoo_destination(*extra: Field) -> Schema:
    return Schema("odoo", (Entity("res.partner", (Field("name"), *extra)),))


def test_odoo_plan_orders_objects_first_and_adds_bridgework_fields() -> None:
    plan = build_plan(spec_for("odoo"), odoo_destination(), kind="odoo", limits=PlanLimits())
    assert [(c.kind, c.entity, c.name) for c in plan.changes] == [
        ("object", "x_ledger_entry", "x_ledger_entry"),
        ("field", "res.partner", "x_bw_external_id"),
        ("field", "res.partner", "x_bw_original_created_at"),
        ("field", "res.partner", "x_bw_original_updated_at"),
        ("field", "res.partner", "x_chart_number"),
        ("field", "x_ledger_entry", "x_bw_external_id"),
        ("field", "x_ledger_entry", "x_bw_original_created_at"),
        ("field", "x_ledger_entry", "x_bw_original_updated_at"),
    ]
    ext = plan.changes[1]
    assert ext.unique and ext.external_id
    assert plan.changes[4].max_length == 21 and plan.changes[4].label == "Chart number"
    assert [w.code for w in plan.warnings] == ["unconfirmed"]


def test_relation_onto_a_new_custom_reference_field() -> None:
    spec = spec_for("odoo")
    spec.entities.insert(0, EntityMap(id="carrier->res.partner", source="inscarrier", target="res.partner", kind="merge"))
    spec.entities[2].fields.append(FieldMap(source="carrierid", target="custom:x_primary_carrier_id", kind="relation",
                                            lookup="carrier->res.partner",
                                            custom=CustomFieldDef(name="x_primary_carrier_id", label="Primary carrier")))
    plan = build_plan(spec, odoo_destination(), kind="odoo", limits=PlanLimits())
    change = next(c for c in plan.changes if c.name == "x_primary_carrier_id")
    assert (change.entity, change.type, change.reference) == ("res.partner", "reference", "res.partner")


def test_plan_is_idempotent_against_what_exists() -> None:
    dest = odoo_destination(Field("x_bw_external_id", is_custom=True), Field("x_chart_number", is_custom=True))
    dest = dest.with_entity(Entity("x_ledger_entry", (Field("x_bw_external_id"),), is_custom=True))
    plan = build_plan(spec_for("odoo"), dest, kind="odoo", limits=PlanLimits())
    assert [c.name for c in plan.changes] == ["x_bw_original_created_at", "x_bw_original_updated_at",
                                              "x_bw_original_created_at", "x_bw_original_updated_at"]
    assert len(plan.existing) == 4


def test_twenty_keeps_created_at_and_flags_the_unverified_tier_claim() -> None:
    spec = spec_for("twenty")
    spec.entities.append(EntityMap(id="plan->treatmentPlan", source="txcase", target="custom:treatmentPlan",
                                   kind="custom_object"))
    plan = build_plan(spec, Schema("twenty", (Entity("person", (Field("name"),)),)), kind="twenty",
                      limits=PlanLimits(preserves_created_at=True))
    assert "bwOriginalCreatedAt" not in {c.name for c in plan.changes}
    assert {c.name for c in plan.objects} == {"ledgerEntry", "treatmentPlan"}
    assert any(w.code == "unverified_limit" and "unverified" in w.message for w in plan.warnings)


def test_limits_become_warnings_with_what_to_do() -> None:
    dest = Schema("salesforce", (Entity("Contact", tuple(Field(f"F{i}__c", is_custom=True) for i in range(24))),
                                 Entity("Old__c", is_custom=True)))
    plan = build_plan(spec_for("salesforce"), dest, kind="salesforce",
                      limits=PlanLimits(max_custom_objects=1, max_custom_fields_per_object=25))
    codes = {w.code: w.message for w in plan.warnings}
    assert "allows 1" in codes["too_many_objects"] and "--reject --entity" in codes["too_many_objects"]
    assert "Contact would have 28 custom fields" in codes["too_many_fields"]
    assert "field_security" in codes


def test_illegal_and_missing_definitions_are_warned_not_planned() -> None:
    spec = spec_for("odoo")
    spec.entities[1].fields[1].custom = CustomFieldDef(name="chart_number")
    spec.entities[1].fields[1].target = "custom:chart_number"
    spec.entities[1].fields.append(FieldMap(source="pager", target=None, kind="custom"))
    plan = build_plan(spec, odoo_destination(), kind="odoo", limits=PlanLimits())
    codes = [w.code for w in plan.warnings]
    assert "illegal_name" in codes and "no_definition" in codes
    assert "chart_number" not in {c.name for c in plan.changes}


def test_twenty_enum_options_are_enum_safe() -> None:
    spec = spec_for("twenty")
    spec.entities[1].fields[1].custom = CustomFieldDef(name="chartNumber", type="enum",
                                                       enum_values=["Penicillin allergy", "penicillin-allergy"])
    plan = build_plan(spec, Schema("twenty", (Entity("person", (Field("name"),)),)), kind="twenty",
                      limits=PlanLimits(preserves_created_at=True))
    change = next(c for c in plan.changes if c.name == "chartNumber")
    assert change.enum_values == ("PENICILLIN_ALLERGY", "PENICILLIN_ALLERGY_2")


def test_limits_from_capabilities_and_formatting() -> None:
    @dataclass(frozen=True)
    class Caps:
        max_custom_objects: int | None = 50
        max_custom_fields_per_object: int | None = 100
        max_name_length: int = 40
        preserves_created_at: bool = False

    limits = PlanLimits.from_capabilities(Caps())
    assert limits == PlanLimits(50, 100, 40, False)
    plan = build_plan(spec_for("odoo"), odoo_destination(), kind="odoo", limits=limits)
    console = Console(record=True, width=160)
    console.print(format_plan(plan))
    text = console.export_text()
    assert "Schema plan for odoo: 1 object(s), 7 field(s) to create" in text
    assert "x_bw_external_id" in text and "warning (unconfirmed)" in text
    assert isinstance(SchemaPlan("odoo"), SchemaPlan)
