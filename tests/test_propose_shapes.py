"""The proposer's shaping of maps: appointment times, circles between maps, links onto the right kind of record."""

from __future__ import annotations

from datetime import datetime, timezone

from mapper.propose import propose
from mapper.propose.relations import break_cycles
from mapper.schema import Entity, Field, Schema
from mapper.spec import CustomFieldDef, EntityMap, FieldMap, TransformStep
from mapper.transforms import TransformContext, run_chain


def _source() -> Schema:
    patient = Entity("patient", (Field("patid", "int", is_key=True), Field("firstname"), Field("lastname"),
                                 Field("famid", "int")), key="patid")
    appt = Entity("appt", (Field("apptid", "int", is_key=True), Field("patid", "int", reference="patient"),
                           Field("apptdate", "date"), Field("timehr", "int"), Field("timemin", "int"),
                           Field("apptlen", "int")), key="apptid")
    return Schema("dentrix", (patient, appt))


def _odoo() -> Schema:
    partner = Entity("res.partner", (Field("id", "int", readonly=True), Field("name", required=True),
                                     Field("parent_id", "reference", reference="res.partner")))
    event = Entity("calendar.event", (Field("id", "int", readonly=True), Field("name", required=True),
                                      Field("start", "datetime", required=True), Field("stop", "datetime", required=True),
                                      Field("partner_ids", "reference", reference="res.partner")))
    return Schema("odoo", (partner, event))


def test_appointment_start_and_stop_combine_date_time_and_length() -> None:
    spec = propose(_source(), _odoo(), destination_kind="odoo")
    em = next(m for m in spec.entities if m.source == "appt")
    by_target = {fm.target: fm for fm in em.fields if fm.kind != "skip"}
    start, stop = by_target["start"], by_target["stop"]
    assert start.sources == ["apptdate", "timehr", "timemin"]
    assert [(t.name, t.args) for t in start.transforms] == [("datetime_combine", {}), ("to_utc", {"format": "odoo"})]
    assert stop.sources == ["apptdate", "timehr", "timemin", "apptlen"]


def test_datetime_combine_adds_the_length() -> None:
    ctx = TransformContext(record={}, target=None, timezone="UTC")
    steps = [TransformStep(name="datetime_combine"), TransformStep(name="to_utc", args={"format": "iso"})]
    assert run_chain(steps, ["2024-03-01", 9, 30, 45], ctx) == "2024-03-01T10:15:00Z"
    assert run_chain(steps[:1], ["2024-03-01", 9, 30], ctx) == datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)


def _link(source: str, lookup: str, name: str) -> FieldMap:
    return FieldMap(source=source, target=f"custom:{name}", kind="relation", lookup=lookup,
                    custom=CustomFieldDef(name=name, type="reference", label=name))


def test_a_circle_between_maps_keeps_the_link_to_the_most_linked_map() -> None:
    patient = EntityMap(id="patient->person", source="patient", target="person",
                        fields=[_link("priminsuredid", "insured->coverage", "primaryCoverageId")])
    coverage = EntityMap(id="insured->coverage", source="insured", target="custom:coverage",
                         fields=[_link("inspartyid", "patient->person", "subscriberId")])
    notes = EntityMap(id="note->note", source="note", target="note", fields=[_link("patid", "patient->person", "personId")])
    demoted = break_cycles([patient, coverage, notes])
    assert demoted == ["patient->person:priminsuredid"]
    kept, dropped = coverage.fields[0], patient.fields[0]
    assert kept.kind == "relation"
    assert (dropped.kind, dropped.lookup, dropped.target) == ("custom", None, "custom:primaryCoverage")
    assert dropped.custom is not None and dropped.custom.type == "string"


def test_a_picklist_value_map_starts_with_the_text_codes_that_name_an_option() -> None:
    from mapper.propose.proposer import suggest_transforms
    from mapper.schema import Field, ValueProfile

    src = Field("status", "string", profile=ValueProfile(top_values=("Active", "Non Patient", "New", "2")))
    tgt = Field("stage", "enum", enum_values=("ACTIVE", "NON_PATIENT", "INACTIVE", "2"))
    step = next(s for s in suggest_transforms(src, tgt) if s.name == "value_map")
    assert step.args == {"map": {"Active": "ACTIVE", "Non Patient": "NON_PATIENT"}}  # "New": no option; "2": a person
    required = Field("stage", "enum", enum_values=("ACTIVE", "NON_PATIENT"), required=True)
    assert next(s for s in suggest_transforms(src, required) if s.name == "value_map").args == {"map": {}}
