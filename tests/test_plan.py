"""The schema plan: ordered, idempotent, limit-checked custom objects and fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


# -- required fields the proposal leaves empty ---------------------------------
def _opportunity(*fields: FieldMap) -> tuple[MappingSpec, Schema, Schema]:
    source = Schema("dentrix", (Entity("txcase", (Field("txcaseid", "int"), Field("patid", "int"), Field("status", "string"),
                                                  Field("createdate", "date"), Field("automodifiedtimestamp", "datetime"))),))
    stages = ("Prospecting", "Proposal/Price Quote", "Closed Won", "Closed Lost")
    dest = Schema("salesforce", (Entity("Opportunity", (
        Field("Name", required=True), Field("StageName", "enum", required=True, enum_values=stages),
        Field("CloseDate", "date", required=True), Field("Description", "text"))),))
    em = EntityMap(id="txcase->Opportunity", source="txcase", target="Opportunity", fields=list(fields))
    return MappingSpec(source="dentrix", destination="salesforce", entities=[em]), source, dest


def _staged(spec: MappingSpec, record: dict[str, object]) -> dict[str, object]:
    from mapper.transforms import TransformContext, run_chain

    out: dict[str, object] = dict(spec.entities[0].constants)
    for fm in spec.entities[0].fields:
        raw = record.get(fm.sources[0]) if len(fm.sources) == 1 else tuple(record.get(s) for s in fm.sources)
        out[str(fm.target_name)] = run_chain(fm.transforms, raw, TransformContext()) if fm.transforms else raw
    return out


def test_required_stage_and_close_date_are_proposed_from_the_plan_status_and_dates() -> None:
    from mapper.plan import fill_required

    spec, source, dest = _opportunity()
    notes = fill_required(spec, source, dest, kind="salesforce")
    assert len(notes) == 2 and all(n.startswith("txcase->Opportunity: ") for n in notes)
    stage, close = spec.entities[0].fields
    assert (stage.source, stage.target, stage.status) == ("status", "StageName", "proposed")
    assert (close.sources, close.target) == (["createdate", "automodifiedtimestamp"], "CloseDate")
    assert "required" in stage.why and "required" in close.why
    values = [_staged(spec, {"status": s, "createdate": d, "automodifiedtimestamp": "2024-03-04 10:00:00"})
              for s, d in (("Completed", "2024-01-02"), ("declined", None), ("7", "2024-01-02"), (None, None))]
    assert [v["StageName"] for v in values] == ["Closed Won", "Closed Lost", "Proposal/Price Quote", "Proposal/Price Quote"]
    assert [str(v["CloseDate"]) for v in values] == ["2024-01-02", "2024-03-04", "2024-01-02", "2024-03-04"]
    assert all(v in ("Prospecting", "Proposal/Price Quote", "Closed Won", "Closed Lost")  # live options only
               for v in stage.transforms[0].args["map"].values())
    assert fill_required(spec, source, dest, kind="salesforce") == []  # idempotent


def test_an_empty_proposed_value_map_is_filled_and_a_written_one_is_kept() -> None:
    from mapper.plan import fill_required
    from mapper.spec import TransformStep

    proposed = FieldMap(source="status", target="StageName", transforms=[TransformStep(name="value_map", args={"map": {}})])
    spec, source, dest = _opportunity(proposed)
    fill_required(spec, source, dest, kind="salesforce")
    assert spec.entities[0].fields[0].transforms[0].args["map"]["completed"] == "Closed Won"
    assert _staged(spec, {"status": "odd", "createdate": "2024-01-02"})["StageName"] == "Proposal/Price Quote"
    written = FieldMap(source="status", target="StageName",
                       transforms=[TransformStep(name="value_map", args={"map": {"1": "Prospecting"}})])
    spec, source, dest = _opportunity(written)
    fill_required(spec, source, dest, kind="salesforce")
    assert spec.entities[0].fields[0].transforms[0].args == {"map": {"1": "Prospecting"}}


def test_odoo_links_through_res_id_name_their_document_model() -> None:
    from mapper.plan import fill_required

    patient = EntityMap(id="patient->res.partner", source="patient", target="res.partner")
    recall = EntityMap(id="recall->mail.activity", source="recallpending", target="mail.activity", fields=[
        FieldMap(source="patid", target="res_id", kind="relation", lookup="patient->res.partner")])
    note = EntityMap(id="note->mail.message", source="clinicalnote", target="mail.message", fields=[
        FieldMap(source="patid", target="res_id", kind="relation", lookup="patient->res.partner")],
        constants={"model": "x_other"})
    spec = MappingSpec(source="dentrix", destination="odoo", entities=[patient, recall, note])
    empty = Schema("dentrix", ())
    notes = fill_required(spec, empty, Schema("odoo", ()), kind="odoo")
    assert recall.constants == {"res_model": "res.partner"} and note.constants == {"model": "x_other"}
    assert notes == ["recall->mail.activity: res_model = res.partner (the model patid points into), "
                     "so the record is attached to it"]


def _documents(kind: str, person: str, obj: str, owner_field: str) -> tuple[MappingSpec, Schema]:
    source = Schema("dentrix", (
        Entity("patient", (Field("patid", "int"), Field("refid", "int", reference="referral")), key="patid"),
        Entity("referral", (Field("refid", "int"), Field("name")), key="refid"),
        Entity("document", (Field("docid", "int"), Field("descript"), Field("createdate", "date")), key="docid"),
        Entity("docattach", (Field("rowkey"), Field("docid", "int", reference="document"), Field("attachtotype"),
                             Field("attachtoentityid", "int")), key="rowkey")))
    patient = EntityMap(id=f"patient->{person}", source="patient", target=person, fields=[
        FieldMap(source="refid", target="custom:x_ref", kind="relation", lookup=f"referral->{person}")])
    referral = EntityMap(id=f"referral->{person}", source="referral", target=person, fields=[FieldMap(source="name", target="name")])
    document = EntityMap(id=f"document->{obj}", source="document", target=obj, fields=[
        FieldMap(source="descript", target="name"), FieldMap(source="createdate", target="custom:x_created", kind="custom")])
    link = EntityMap(id=f"docattach->{obj}", source="docattach", target=obj, fields=[
        FieldMap(source="rowkey", target="name"),
        FieldMap(source="docid", target="custom:x_document", kind="relation", lookup=f"document->{obj}"),
        FieldMap(source="attachtoentityid", target=owner_field, kind="custom")])
    return MappingSpec(source="dentrix", destination=kind, entities=[patient, referral, document, link]), source


def test_a_document_joins_its_link_rows_which_attach_it_to_the_patient() -> None:
    from mapper.plan import fill_required, fold_links

    spec, source = _documents("salesforce", "Contact", "ContentVersion", "custom:Owner_Id__c")
    dest = Schema("salesforce", (Entity("ContentVersion", (Field("Title", required=True), Field("FirstPublishLocationId", "reference"))),))
    notes = fill_required(spec, source, dest, kind="salesforce") + fold_links(spec, source)
    patient, referral, document, link = spec.entities
    owner = next(fm for fm in link.fields if fm.key == "attachtoentityid")
    assert (owner.target, owner.kind, owner.lookup) == ("FirstPublishLocationId", "relation", "patient->Contact")
    assert document.kind == "join" and referral.kind == "primary" and patient.kind == "primary"  # only documents fold
    assert {fm.key: fm.status for fm in link.fields} == {"rowkey": "rejected", "docid": "rejected", "attachtoentityid": "proposed"}
    assert len(notes) == 2 and "document->ContentVersion joins docattach->ContentVersion" in notes[1]


def test_folded_documents_stage_one_attached_record_per_link(tmp_path: Path) -> None:
    from executor.joins import joins_of
    from mapper.plan import fill_required, fold_links

    spec, source = _documents("odoo", "res.partner", "ir.attachment", "res_id")
    link = spec.entities[3]
    link.fields[2] = FieldMap(source="attachtoentityid", target="res_id", kind="relation", lookup="patient->res.partner")
    fill_required(spec, source, Schema("odoo", ()), kind="odoo")
    fold_links(spec, source)
    assert link.constants == {"res_model": "res.partner"}
    [join] = joins_of(spec, source, link)
    assert (join.em.id, join.via) == ("document->ir.attachment", "docid")


def test_required_fields_no_map_writes_are_warned_where_required_means_no_default() -> None:
    spec, _, dest = _opportunity(FieldMap(source="status", target="StageName"))
    warned = [w for w in build_plan(spec, dest, kind="salesforce", limits=PlanLimits()).warnings
              if w.code == "required_unwritten"]
    assert len(warned) == 1 and "Opportunity requires Name, CloseDate" in warned[0].message
    spec.entities[0].constants.update(Name="Plan", CloseDate="2024-01-01")
    assert not [w for w in build_plan(spec, dest, kind="salesforce", limits=PlanLimits()).warnings
                if w.code == "required_unwritten"]
    odoo = Schema("odoo", (Entity("crm.lead", (Field("name", required=True), Field("type", required=True))),))
    lead = MappingSpec(source="dentrix", destination="odoo", entities=[
        EntityMap(id="txcase->crm.lead", source="txcase", target="crm.lead", fields=[FieldMap(source="descript", target="name")])])
    assert not [w for w in build_plan(lead, odoo, kind="odoo", limits=PlanLimits()).warnings  # Odoo defaults `type`
                if w.code == "required_unwritten"]


def test_a_constant_on_a_field_the_object_lacks_gets_that_field() -> None:
    carriers = EntityMap(id="inscarrier->company", source="inscarrier", target="company", kind="merge",
                         constants={"companyType": "INSURANCE_CARRIER", "name": "kept"},
                         fields=[FieldMap(source="carriername", target="name")])
    spec = MappingSpec(source="dentrix", destination="twenty", entities=[carriers])
    destination = Schema("twenty", (Entity("company", (Field("name"),)),))
    plan = build_plan(spec, destination, kind="twenty", limits=PlanLimits())
    added = {c.name: c for c in plan.changes if c.entity == "company"}
    assert added["companyType"].type == "string" and "INSURANCE_CARRIER" in added["companyType"].reason
    assert "name" not in added  # the object has it already
