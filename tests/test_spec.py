"""MappingSpec: lossless YAML, precise errors for hand edits, schema checks, decisions, merge, load order."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import mapper.spec as spec_module
from mapper.errors import SpecError
from mapper.schema import Entity, Field, Schema
from mapper.spec import (
    Candidate,
    CustomFieldDef,
    Decision,
    EntityMap,
    FieldMap,
    MappingSpec,
    SpecValidationError,
    TransformStep,
    check_ready,
    confirm,
    dependency_order,
    format_issues,
    merge_proposals,
    reject,
    reopen_stale,
    schema_hash,
    set_target,
    validate_against,
)

AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def source_schema() -> Schema:
    patient = Entity("patient", (Field("patid", "int", is_key=True), Field("fname"), Field("lname"), Field("pager", "phone"),
                                 Field("emailaddr", "email"), Field("guarid", "int"), Field("carrierid", "int"),
                                 Field("birthdate", "date")), key="patid")
    carrier = Entity("inscarrier", (Field("insid", "int", is_key=True), Field("carriername")), key="insid")
    return Schema("dentrix", (patient, carrier))


def destination_schema() -> Schema:
    partner = Entity("res.partner", (Field("name"), Field("mobile", "phone"), Field("email", "email"),
                                     Field("parent_id", "reference", reference="res.partner"), Field("is_company", "bool")))
    return Schema("odoo", (partner,))


def make_spec() -> MappingSpec:
    carrier = EntityMap(id="inscarrier->res.partner", source="inscarrier", target="res.partner", kind="merge", key="insid",
                        constants={"is_company": True}, score=0.9,
                        fields=[FieldMap(source="carriername", target="name", score=0.93, transforms=[TransformStep(name="trim")])])
    patient = EntityMap(
        id="patient->res.partner", source="patient", target="res.partner", key="patid", score=0.95, why="patients are people",
        fields=[
            FieldMap(source=["fname", "lname"], target="name", score=0.91,
                     transforms=[TransformStep(name="join", args={"separator": " "})]),
            FieldMap(source="pager", target="mobile", score=0.95, transforms=[TransformStep(name="phone_e164")],
                     alternatives=[Candidate(target="phone", score=0.4, why="phone-like")]),
            FieldMap(source="emailaddr", target="email", score=0.6, transforms=[TransformStep(name="email_normalise")]),
            FieldMap(source="guarid", target="parent_id", kind="relation", lookup="patient->res.partner", score=0.8),
            FieldMap(source="carrierid", target="x_carrier_id", kind="relation", lookup="inscarrier->res.partner", score=0.7),
            FieldMap(source="birthdate", target="custom:x_birthdate", kind="custom", score=0.3,
                     custom=CustomFieldDef(name="x_birthdate", type="date", label="Birth date"),
                     transforms=[TransformStep(name="date", args={"format": "MM/DD/YYYY"})]),
            FieldMap(source="patid", kind="skip", why="the key goes into the external id"),
        ],
    )
    return MappingSpec(source="dentrix", destination="odoo", entities=[patient, carrier],
                       source_schema_hash=schema_hash(source_schema()),
                       destination_schema_hash=schema_hash(destination_schema()))


def test_public_surface_is_pinned() -> None:
    assert "validate_against" in spec_module.__all__ and "dependency_order" in spec_module.__all__
    assert all(hasattr(spec_module, name) for name in spec_module.__all__)


def test_round_trip_is_lossless_and_text_stable(tmp_path: Path) -> None:
    spec = make_spec()
    confirm(spec, fields=["patient.pager"], by="ann", at=AT)
    reject(spec, fields=["patient.emailaddr"], by="ann", at=AT, reason="family email")
    path = tmp_path / "mapping.yaml"
    spec.save(path)
    loaded = MappingSpec.load(path)
    assert loaded == spec
    assert loaded.to_yaml() == path.read_text(encoding="utf-8")
    assert "lookup: inscarrier->res.partner" in loaded.to_yaml()
    assert "custom: null" not in loaded.to_yaml()


def test_lead_format_with_explicit_nulls_still_loads() -> None:
    text = make_spec().model_dump_json()
    assert MappingSpec.from_yaml(text) == make_spec()  # JSON is YAML; every null key spelled out


def _broken(old: str, new: str) -> str:
    text = make_spec().to_yaml()
    assert old in text
    return text.replace(old, new, 1)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ("name: phone_e164", "name: phone_e146", "phone_e146", "unknown transform 'phone_e146'"),
        ("separator: ' '", "sep: ' '", "sep:", "unexpected keyword argument 'sep'"),
        ("lookup: inscarrier->res.partner", "lookup: carrier->res.partner", "carrier->res.partner",
         "'carrier->res.partner' names no entity map"),
        ("id: inscarrier->res.partner", "id: patient->res.partner", "id: patient->res.partner",
         "is used by 2 entity maps"),
        ("status: proposed", "status: approved", "approved", "Input should be 'proposed', 'confirmed' or 'rejected'"),
        ("kind: merge", "kind: merged", "kind: merged", "Input should be"),
        ("type: date", "type: birthday", "birthday", "'birthday' is not a field type"),
        ("score: 0.95\n", "score: 9.5\n", "score: 9.5", "must be between 0 and 1"),
        ("target: x_carrier_id", "target: x_carrier_id\n    colour: red", "colour", "Extra inputs are not permitted"),
        ("lookup: inscarrier->res.partner", "kind: junk\n    lookup: inscarrier->res.partner", "kind: junk",
         "'kind' appears twice"),
        ("source: pager", "source: {a: 1}", "source: {a: 1}", "should be a field name or a list of field names."),
    ],
)
def test_hand_edit_mistakes_name_file_line_and_fix(old: str, new: str, needle: str, expected: str) -> None:
    text = _broken(old, new)
    with pytest.raises(SpecValidationError) as info:
        MappingSpec.from_yaml(text, "ws/mapping.yaml")
    message = str(info.value)
    assert message.startswith(f"ws/mapping.yaml:{_line(text, needle)}: "), message
    assert expected in message
    assert "\n" not in message


def test_relation_without_lookup_names_the_choices() -> None:
    text = _broken("lookup: patient->res.partner\n", "\n")
    with pytest.raises(SpecValidationError) as info:
        MappingSpec.from_yaml(text)
    assert "field 'guarid'" in str(info.value) and "needs `lookup:`" in str(info.value)
    assert "inscarrier->res.partner" in str(info.value)


def test_confirmed_maps_must_be_usable() -> None:
    spec = make_spec()
    spec.entities[0].fields[1].target = None
    spec.entities[0].fields[1].decision = Decision(status="confirmed", by="ann", at=AT)
    spec.entities[0].fields[0].decision = Decision(status="confirmed", by="ann", at=AT)
    spec.entities[1].fields[0].decision = Decision(status="confirmed", by="ann", at=AT)
    spec.entities[0].fields[2].target = "name"
    spec.entities[0].fields[2].decision = Decision(status="confirmed", by="ann", at=AT)
    with pytest.raises(SpecValidationError) as info:
        MappingSpec.from_yaml(spec.to_yaml())
    problems = info.value.problems
    assert any("confirmed but has no target" in p for p in problems)
    assert any("'name' is written by 2 confirmed field maps" in p for p in problems)


def test_yaml_syntax_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"mapping.yaml:2 is not valid YAML"):
        MappingSpec.from_yaml("source: a\n  bad: [\n")
    with pytest.raises(SpecError, match="Run bridgework propose first"):
        MappingSpec.load(tmp_path / "nope.yaml")


def test_schema_hash_ignores_profiles_but_sees_structure() -> None:
    schema = source_schema()
    counted = Schema(schema.system, tuple(Entity(e.name, e.fields, key=e.key, row_count=99) for e in schema.entities))
    assert schema_hash(counted) == schema_hash(schema)
    renamed = schema.with_entity(Entity("inscarrier", (Field("insid", "int"), Field("carrier_name"))))
    assert schema_hash(renamed) != schema_hash(schema)


def test_validate_against_flags_stale_confirmations_and_reopens_them() -> None:
    spec = make_spec()
    confirm(spec, min_score=0.0, by="ann", at=AT)
    assert validate_against(spec, source_schema(), destination_schema(), kind="odoo") == [
        _issue for _issue in validate_against(spec, source_schema(), destination_schema()) if _issue.code == "missing_target_field"
    ]
    src = source_schema().with_entity(Entity("patient", tuple(f for f in source_schema().entity("patient").fields
                                                                if f.name != "pager"), key="patid"))
    issues = validate_against(spec, src, destination_schema())
    codes = {(i.code, str(i.ref), i.stale) for i in issues}
    assert ("schema_changed", "None", False) in codes
    assert ("missing_source_field", "patient->res.partner:pager", True) in codes
    assert ("missing_target_field", "patient->res.partner:carrierid", True) in codes  # x_carrier_id not there
    with pytest.raises(SpecError, match="no longer fit the schemas"):
        check_ready(spec, issues)
    text = spec.to_yaml()
    lines = format_issues(issues, text, "ws/mapping.yaml")
    pager_line = next(line for line in lines if ":pager:" in line)
    assert pager_line.startswith(f"ws/mapping.yaml:{_line(text, 'source: pager')}: patient->res.partner:pager: ")
    reopened = reopen_stale(spec, issues, by="bridgework", at=AT)
    assert [str(r) for r in reopened] == ["patient->res.partner:pager", "patient->res.partner:carrierid"]
    pager = spec.entities[0].fields[1]
    assert pager.status == "proposed" and "no field 'pager'" in (pager.decision.reason or "")
    with pytest.raises(SpecError, match=r'2 field\(s\) still "proposed"'):
        check_ready(spec)


def test_validate_against_checks_custom_names_for_the_destination() -> None:
    spec = make_spec()
    spec.entities[0].fields[5].target = "custom:birthDate"
    spec.entities[0].fields[5].custom = CustomFieldDef(name="birthDate", type="date")
    issues = validate_against(spec, source_schema(), destination_schema())
    assert any(i.code == "illegal_custom_name" and "x_birth_date" in i.message for i in issues)


def test_confirm_by_score_records_who_and_when() -> None:
    spec = make_spec()
    result = confirm(spec, min_score=0.9, by="ann", at=AT)
    assert [str(r) for r in result.changed] == [
        "patient->res.partner", "patient->res.partner:fname+lname", "patient->res.partner:pager",
        "inscarrier->res.partner", "inscarrier->res.partner:carriername"]
    pager = spec.entities[0].fields[1]
    assert (pager.decision.by, pager.decision.at) == ("ann", AT)
    assert spec.entities[0].fields[2].status == "proposed"


def test_confirm_by_field_and_entity_selectors() -> None:
    spec = make_spec()
    assert [str(r) for r in confirm(spec, fields=["patient.emailaddr", "patient->res.partner:guarid"],
                                    by="ann", at=AT).changed] == [
        "patient->res.partner:emailaddr", "patient->res.partner:guarid"]
    assert [str(r) for r in confirm(spec, fields=["patient.lname"], by="ann", at=AT).changed] == [
        "patient->res.partner:fname+lname"]
    result = confirm(spec, entity="inscarrier->res.partner", by="ann", at=AT)
    assert [str(r) for r in result.changed] == ["inscarrier->res.partner", "inscarrier->res.partner:carriername"]
    with pytest.raises(SpecError, match="no field map 'patient.nope'"):
        confirm(spec, fields=["patient.nope"], by="ann", at=AT)
    with pytest.raises(SpecError, match="Say what to confirm"):
        confirm(spec, by="ann", at=AT)


def test_confirm_refuses_maps_without_a_target() -> None:
    spec = make_spec()
    spec.entities[0].fields[1].target = None
    result = confirm(spec, fields=["patient.pager"], by="ann", at=AT)
    assert result.changed == [] and "no target" in result.refused[0][1]


def test_reject_entity_and_fields() -> None:
    spec = make_spec()
    result = reject(spec, entity="inscarrier->res.partner", by="ann", at=AT, reason="carriers later")
    assert [str(r) for r in result.changed] == ["inscarrier->res.partner"]
    assert spec.entities[1].decision.reason == "carriers later"
    low = reject(spec, entity="patient->res.partner", max_score=0.5, by="ann", at=AT)
    assert [str(r) for r in low.changed] == ["patient->res.partner", "patient->res.partner:birthdate",
                                             "patient->res.partner:patid"]


def test_set_target_direct_custom_and_skip() -> None:
    spec = make_spec()
    set_target(spec, "patient.emailaddr", "name", by="ann", at=AT)
    email = spec.entities[0].fields[2]
    assert (email.target, email.kind, email.status, email.decision.by) == ("name", "direct", "confirmed", "ann")
    set_target(spec, "patient.pager", "custom:x_pager", by="ann", at=AT)
    pager = spec.entities[0].fields[1]
    assert pager.kind == "custom" and pager.custom is not None and pager.custom.name == "x_pager"
    set_target(spec, "patient.carrierid", None, by="ann", at=AT)
    assert spec.entities[0].fields[4].kind == "skip" and spec.entities[0].fields[4].lookup is None
    set_target(spec, "patient.guarid", "parent_id", lookup="patient->res.partner", by="ann", at=AT)
    assert spec.entities[0].fields[3].kind == "relation"
    set_target(spec, "patient.carrierid", "custom:x_primary_carrier_id", lookup="inscarrier->res.partner", by="ann", at=AT)
    carrier = spec.entities[0].fields[4]
    assert carrier.kind == "relation" and carrier.creates_field and carrier.custom is not None
    assert (carrier.custom.type, carrier.custom.reference) == ("reference", "res.partner")
    assert not [i for i in validate_against(spec, source_schema(), destination_schema()) if i.ref and i.ref.field == "carrierid"]
    MappingSpec.from_yaml(spec.to_yaml())  # still valid
    with pytest.raises(SpecError, match="no entity map 'x'"):
        set_target(spec, "patient.guarid", "parent_id", lookup="x", by="ann", at=AT)


def test_merge_keeps_decisions_that_still_fit() -> None:
    old = make_spec()
    confirm(old, fields=["patient.pager", "patient.birthdate"], by="ann", at=AT)
    set_target(old, "patient.emailaddr", "name", by="ann", at=AT)
    reject(old, fields=["patient.guarid"], by="ann", at=AT)
    old.entities[0].fields.append(FieldMap(source="gone", target="email", decision=Decision(status="confirmed", by="a", at=AT)))
    new = make_spec()
    new.entities[0].fields[1].target = "phone"  # the proposer changed its mind; the person's decision wins
    merged = merge_proposals(old, new)
    fields = {fm.key: fm for fm in merged.entities[0].fields}
    assert fields["pager"].target == "mobile" and fields["pager"].status == "confirmed"
    assert fields["emailaddr"].target == "name"
    assert fields["guarid"].status == "rejected"
    assert "gone" not in fields
    assert fields["fname+lname"].status == "proposed"
    no_mobile = Schema("odoo", (Entity("res.partner", tuple(f for f in destination_schema().entity("res.partner").fields
                                                              if f.name != "mobile")),))
    merged = merge_proposals(old, new, source=source_schema(), destination=no_mobile)
    pager = next(fm for fm in merged.entities[0].fields if fm.key == "pager")
    assert pager.target == "phone" and pager.status == "proposed"


def test_merge_keeps_decided_entity_maps_new_proposals_lack() -> None:
    old = make_spec()
    extra = EntityMap(id="patient->x_note", source="patient", target="custom:x_note", kind="custom_object",
                      decision=Decision(status="confirmed", by="ann", at=AT))
    old.entities.append(extra)
    merged = merge_proposals(old, make_spec(), source=source_schema())
    assert merged.entities[-1].id == "patient->x_note"


def test_merge_does_not_propose_again_what_a_sibling_map_decided() -> None:
    old = make_spec()
    split = EntityMap(id="patient->x_insurance", source="patient", target="custom:x_insurance", kind="split",
                      fields=[FieldMap(source="carrierid", target="x_carrier", decision=Decision(status="confirmed", by="a", at=AT))])
    old.entities.append(split)
    merged = merge_proposals(old, make_spec(), source=source_schema())
    assert "carrierid" not in {fm.key for fm in merged.entities[0].fields}
    assert [fm.key for fm in merged.entities[-1].fields] == ["carrierid"]


def test_dependency_order_follows_lookups() -> None:
    spec = make_spec()
    assert [em.id for em in dependency_order(spec)] == ["inscarrier->res.partner", "patient->res.partner"]
    spec.entities[1].fields.append(FieldMap(source="insid", target="parent_id", kind="relation", lookup="patient->res.partner"))
    with pytest.raises(SpecError, match="circle: inscarrier->res.partner -> patient->res.partner -> inscarrier->res.partner"):
        dependency_order(spec)
    spec.entities[1].fields[-1].decision = Decision(status="rejected", by="ann", at=AT)
    assert len(dependency_order(spec)) == 2
