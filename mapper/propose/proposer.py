"""propose(): the whole MappingSpec for a source and a destination; rank(): one field's candidates."""

from __future__ import annotations

import re

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mapper.errors import BridgeworkError
from mapper.naming import DESTINATION_KINDS, custom_field_name
from mapper.propose import llm
from mapper.propose._text import words
from mapper.propose.dental import refers_to, source_concepts
from mapper.propose.entities import Placement
from mapper.propose.knowledge import entity_concept_of, transform_rules
from mapper.propose.customs import name_required, unique_custom_names
from mapper.propose.relations import break_cycles
from mapper.propose.timing import combine_times
from mapper.propose.scorer import Decision, ScoreTable
from mapper.propose.settings import Candidate, ProposerSettings
from mapper.propose.types import effective_type
from mapper.schema import Entity, Field, Schema
from mapper.spec import Candidate as SpecCandidate
from mapper.spec import CustomFieldDef, EntityMap, FieldMap, MappingSpec, TransformStep, schema_hash


def check_schemas(source: Schema, destination: Schema) -> tuple[Schema, Schema]:
    """Clear errors for schemas that cannot be matched; drop duplicate entity/field names (first wins)."""
    if not source.entities:
        raise BridgeworkError("The source schema has no entities.", hint="Run bridgework introspect and check the source connection.")
    if not destination.entities:
        raise BridgeworkError("The destination schema has no objects.", hint="Run bridgework describe and check the destination connection.")
    return _dedupe(source), _dedupe(destination)


def _dedupe(schema: Schema) -> Schema:
    seen: set[str] = set()
    entities = []
    for e in schema.entities:
        if e.name in seen or not e.name.strip():
            continue
        seen.add(e.name)
        names: set[str] = set()
        fields = []
        for f in e.fields:
            if f.name in names or not f.name.strip():
                continue
            names.add(f.name)
            fields.append(f)
        entities.append(Entity(e.name, tuple(fields), e.label, e.description, e.key, e.is_custom, e.row_count))
    return Schema(schema.system, tuple(entities), schema.version)


def guess_destination_kind(destination: Schema) -> str:
    """twenty / salesforce / dynamics / odoo from the schema's system name or its object names."""
    system = destination.system.lower()
    for kind in DESTINATION_KINDS:
        if kind in system:
            return kind
    names = {e.name for e in destination.entities}
    if any("." in n for n in names):
        return "odoo"
    if names & {"Contact", "Account", "Opportunity", "Event"} or any(n.endswith("__c") for n in names):
        return "salesforce"
    if names & {"contact", "account", "annotation", "systemuser", "appointment"}:
        return "dynamics"
    return "twenty"


def ranked(table: ScoreTable, i: int, columns: NDArray[np.int64] | None = None) -> tuple[Decision, list[Candidate]]:
    """Source row i: its decision and its top candidates (LLM re-ranked when configured)."""
    settings = table.settings
    order = table.order(i, columns)
    cands = [table.candidate(i, j) for j in order[: settings.top_k]]
    if settings.llm_model and cands:
        k = min(settings.llm_top_k, len(cands))
        tfields = {(e.name, f.name): f for e, f in table.tgt}
        pairs = [(c, tfields[(c.tgt_ent, c.tgt_att)]) for c in cands[:k]]
        e, f = table.src[i]
        cands = llm.rerank(e, f, pairs, settings) + cands[k:]
    best = cands[0].score if cands else 0.0
    return table.decide(i, best if columns is not None else None), cands


def rank(source_entity: str, field: str, source: Schema, destination: Schema, *,
         destination_kind: str | None = None, settings: ProposerSettings | None = None) -> list[Candidate]:
    """Ranked destination fields (all objects) for one source field."""
    source, destination = check_schemas(source, destination)
    table = ScoreTable.build(source, destination, destination_kind or guess_destination_kind(destination),
                             settings or ProposerSettings())
    return ranked(table, table.row_of(source_entity, field))[1]


def propose(source: Schema, destination: Schema, *, destination_kind: str | None = None,
            settings: ProposerSettings | None = None) -> MappingSpec:
    """Every entity map and field map, status 'proposed', with scores, explanations and alternatives."""
    source, destination = check_schemas(source, destination)
    settings = settings or ProposerSettings()
    kind = destination_kind or guess_destination_kind(destination)
    table = ScoreTable.build(source, destination, kind, settings)
    col_of_entity: dict[str, list[int]] = {}
    for j, (e, _) in enumerate(table.tgt):
        col_of_entity.setdefault(e.name, []).append(j)
    maps: list[EntityMap] = []
    primary_of = {name: ps[0] for name, ps in table.placements.items() if ps and ps[0].kind not in ("skip", "join")}
    for entity in source.entities:
        placements = table.placements.get(entity.name, [])
        if not placements or placements[0].kind == "skip":
            reason = placements[0].why if placements else "nothing to map"
            maps.append(EntityMap(id=f"{entity.name}->skip", source=entity.name, target="", kind="skip",
                                  score=placements[0].score if placements else 0.0, why=reason,
                                  fields=[]))
            continue
        maps.extend(_entity_maps(table, entity, placements, col_of_entity, primary_of, kind))
    break_cycles(maps)
    name_required(maps, source, destination, kind)
    unique_custom_names(maps, kind)
    return MappingSpec(source=source.system, destination=destination.system,
                       source_schema_hash=schema_hash(source), destination_schema_hash=schema_hash(destination),
                       entities=maps)


def _entity_maps(table: ScoreTable, entity: Entity, placements: Sequence[Placement],
                 col_of_entity: dict[str, list[int]], primary_of: dict[str, Placement], kind: str) -> list[EntityMap]:
    existing = [p for p in placements if p.exists]
    columns = np.array(sorted(j for p in existing for j in col_of_entity.get(p.target, [])), dtype=np.int64)
    fields_by_map: dict[str, list[FieldMap]] = {p.map_id: [] for p in placements}
    home = placements[0]
    for f in entity.fields:
        i = table.row_of(entity.name, f.name)
        (decision, reason), cands = ranked(table, i, columns)
        alternatives = [SpecCandidate(target=c.target, score=c.score, why=c.why) for c in cands[1:6]]
        if decision == "skip":
            fields_by_map[home.map_id].append(FieldMap(source=f.name, kind="skip", why=reason,
                                                       score=cands[0].score if cands else 0.0, alternatives=alternatives))
            continue
        # A new link field only for a reference the source declares (a concept alone may be a group id).
        declared = primary_of[f.reference].map_id if f.reference in primary_of and f.name != entity.key else None
        if decision == "custom" or not cands:
            fields_by_map[home.map_id].append(_custom_field(f, kind, reason, alternatives, declared))
            continue
        best = cands[0]
        tfield = table.destination.entity(best.tgt_ent).field(best.tgt_att)
        if tfield.readonly:  # the destination sets it itself (Salesforce CreatedDate): keep the value in a new field
            fields_by_map[home.map_id].append(_custom_field(f, kind, f"{best.tgt_att} is read-only", alternatives, declared))
            continue
        owner = next((p for p in existing if p.target == best.tgt_ent), home)
        fm = FieldMap(source=f.name, target=best.tgt_att, score=best.score, why=best.why,
                      transforms=suggest_transforms(f, tfield, kind), alternatives=alternatives)
        lookup = _lookup(table, entity, f, tfield, primary_of)
        if (lookup is None) == (tfield.type == "reference") and (lookup is None or tfield.type != "int"):
            # A value cannot go into a link field (Odoo state_id), nor a link into a value field (a referral
            # into LeadSource): keep it in a field of its own.
            fields_by_map[home.map_id].append(_custom_field(f, kind, f"{best.tgt_att} cannot hold it", alternatives,
                                                            declared))
            continue
        if lookup is not None:
            fm = fm.model_copy(update={"kind": "relation", "lookup": lookup, "transforms": []})
        fields_by_map[owner.map_id].append(fm)
    out = []
    for p in placements:
        dest = table.destination.entity(p.target) if p.exists and table.destination.has(p.target) else None
        timed = combine_times(entity, fields_by_map[p.map_id], dest, kind)
        fields_by_map[p.map_id] = _join_shared_targets(entity, timed, dest)
        target = p.target if p.exists else f"custom:{p.target}"
        out.append(EntityMap(id=p.map_id, source=entity.name, target=target, kind=p.kind,  # type: ignore[arg-type]
                             score=p.score, why=p.why, constants=dict(p.constants), fields=fields_by_map[p.map_id]))
    return out


_NAME_ORDER = {"first_name": 0, "middle_name": 1, "last_name": 2}


def _join_shared_targets(entity: Entity, fields: list[FieldMap], dest: Entity | None = None) -> list[FieldMap]:
    """Direct maps that write the same text field become one joined map (firstname + lastname -> name);
    for any other field type the best scoring one writes it and the rest are skipped."""
    groups: dict[str, list[FieldMap]] = {}
    for fm in fields:
        if fm.kind == "direct" and fm.target:
            groups.setdefault(fm.target, []).append(fm)
    out: list[FieldMap] = []
    done: set[str] = set()
    for fm in fields:
        group = groups.get(fm.target or "", [])
        if len(group) < 2:
            out.append(fm)
            continue
        if fm.target in done:
            continue
        done.add(fm.target or "")
        if dest is not None and dest.has(fm.target or "") and dest.field(fm.target or "").type not in ("string", "text"):
            best = max(group, key=lambda m: m.score)
            out.extend(m if m is best else m.model_copy(update={"kind": "skip", "target": None, "transforms": [],
                                                                "why": f"{best.key} already writes {fm.target}"})
                       for m in group)
            continue

        def order(m: FieldMap) -> tuple[int, int]:
            ranks = [_NAME_ORDER.get(c, 3) for c in source_concepts(entity.name, m.key)]
            return (min(ranks, default=3), group.index(m))

        members = sorted(group, key=order)
        tail = [t for t in members[0].transforms if t.name == "truncate"]
        step = TransformStep(name="join", args={"separator": " "})
        out.append(FieldMap(source=[m.key for m in members], target=fm.target, score=min(m.score for m in members),
                            why=f"joined ({', '.join(m.key for m in members)}): {members[0].why}",
                            transforms=[step, *tail], alternatives=members[0].alternatives))
    return out


def _refers(entity: Entity, f: Field) -> list[str]:
    refers = [refers_to(c) for c in source_concepts(entity.name, f.name, f.description)]
    return [r for r in refers if r]


def _points_at(entity: Entity, f: Field, primary_of: dict[str, Placement]) -> str | None:
    """The EntityMap id of the source entity a field points at (declared reference, else its concept)."""
    if f.name in (entity.key or "").replace("+", ",").split(","):
        return None  # the record's own id
    if f.reference and f.reference in primary_of:
        return primary_of[f.reference].map_id
    for concept_name in _refers(entity, f):
        for name in sorted(primary_of):
            ec = entity_concept_of(name)
            if ec is not None and ec.name == concept_name:
                return primary_of[name].map_id
    return None


def _lookup(table: ScoreTable, entity: Entity, f: Field, tfield: Field, primary_of: dict[str, Placement]) -> str | None:
    """The EntityMap id a relation resolves through, when the source field points at another record."""
    if tfield.type != "reference" and f.reference is None and not _refers(entity, f):
        return None
    found = _points_at(entity, f, primary_of)
    if found is not None:  # a link field onto another kind of record cannot hold it (AccountId <- a patient)
        target = next(p.target for p in primary_of.values() if p.map_id == found)
        return found if not tfield.reference or tfield.reference == target else None
    candidates = sorted(primary_of)
    if tfield.reference:
        hits = [n for n in candidates if primary_of[n].target == tfield.reference]
        hits.sort(key=lambda n: (primary_of[n].kind != "primary", n))
        if hits:
            return primary_of[hits[0]].map_id
    return None


def suggest_transforms(src: Field, tgt: Field, destination_kind: str | None = None) -> list[TransformStep]:
    """A transform chain by type (phone -> phone_e164, email -> email_normalise, ...), registered names only;
    a number whose unit differs on the two sides (minutes -> Odoo's hours) gets `duration_unit`."""
    from mapper.propose.knowledge import unit_rules
    from mapper.transforms import check_step

    rules = transform_rules()
    stype, ttype = effective_type(src), tgt.type
    names = list(rules.get(f"{stype}->{ttype}", ()) or rules.get(f"source:{stype}", ()) or rules.get(f"target:{ttype}", ()))
    steps = [TransformStep(name=n) for n in names]
    if ttype == "enum" and not any(s.name == "value_map" for s in steps):
        steps.append(TransformStep(name="value_map", args={"map": same_named_options(src, tgt)}))
    if tgt.max_length and stype in ("string", "text") and (src.max_length or 10**9) > tgt.max_length:
        steps.append(TransformStep(name="truncate", args={"length": tgt.max_length}))
    source_units, target_units = unit_rules()
    have, want = source_units.get(src.name.lower()), target_units.get(destination_kind or "", {}).get(tgt.name)
    if have and want and have != want:
        steps.append(TransformStep(name="duration_unit", args={"source_unit": have, "target_unit": want}))
    return [s for s in steps if check_step(s.name, s.args) is None]


def same_named_options(src: Field, tgt: Field) -> dict[str, str]:
    """A value map's entries for the source's frequent text codes that name a picklist option ("Non Patient" ->
    "NON_PATIENT"); numeric codes are left to a person (Dentrix priority 1 need not mean the option '1'), and so
    is every code of a required picklist (the plan proposes its map with a default)."""
    def norm(text: str) -> str:
        return re.sub(r"[\s_\-]+", " ", text).strip().lower()

    if tgt.required:
        return {}  # a required picklist's map and default come from mapper/knowledge/required_defaults.yaml (plan)
    options = {norm(o): o for o in tgt.enum_values}
    codes = src.profile.top_values if src.profile is not None else ()
    return {code: options[norm(code)] for code in codes
            if not norm(code).replace(".", "").isdigit() and norm(code) in options}


def _custom_field(f: Field, kind: str, reason: str, alternatives: list[SpecCandidate], lookup: str | None) -> FieldMap:
    """A new field; a source reference to a loaded entity becomes a new relation field, any other one keeps the id."""
    label = f.label or words(f.name).title()
    naming = kind if kind in DESTINATION_KINDS else "twenty"
    # Twenty names a relation `foo` and its id column `fooId`; the field map writes the id column.
    name = custom_field_name(naming, f"{label} id" if lookup and naming == "twenty" else label)
    ftype = "reference" if lookup else effective_type(f)
    steps: list[TransformStep] = []
    if ftype in ("reference", "enum") and lookup is None:
        # A code or an id of something that does not load: kept as text (options need a reviewed value map).
        ftype, steps = "string", [TransformStep(name="trim")]
    return FieldMap(source=f.name, target=f"custom:{name}", kind="relation" if lookup else "custom", lookup=lookup,
                    why=reason + (f"; links to {lookup}" if lookup else ""), score=0.0, transforms=steps,
                    custom=CustomFieldDef(name=name, type=ftype, label=label, max_length=None if lookup else f.max_length,
                                          enum_values=[], reference=None),
                    alternatives=alternatives)
