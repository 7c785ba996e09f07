"""New custom objects and fields across the proposed maps: required fields filled, no name used twice."""

from __future__ import annotations

from mapper.naming import DESTINATION_KINDS, custom_field_name
from mapper.propose.knowledge import custom_object_required
from mapper.schema import Schema
from mapper.spec import EntityMap, FieldMap, TransformStep


def _required_text(em: EntityMap, destination: Schema, kind: str) -> tuple[str, ...]:
    """Required text fields of the map's object: known ones of a new custom object, else the described ones."""
    if em.creates_object or not destination.has(em.target_name):
        return custom_object_required().get(kind, ())
    return tuple(f.name for f in destination.entity(em.target_name).fields
                 if f.required and not f.readonly and f.type in ("string", "text"))


def name_required(maps: list[EntityMap], source: Schema, destination: Schema, kind: str) -> None:
    """Required text fields no map writes (a Salesforce custom object's `Name`, a Note's `Title`) get the
    source record id, so no record is refused for them."""
    for em in maps:
        if em.kind in ("skip", "join") or not source.has(em.source) or not source.entity(em.source).key:
            continue
        key = source.entity(em.source).key or ""
        written = {fm.target_name for fm in em.fields}
        for name in _required_text(em, destination, kind):
            if name in written:
                continue
            why = f"{em.target_name} requires a {name}: the source record id"
            own = next((fm for fm in em.fields if fm.sources == [key] and fm.kind in ("custom", "direct")), None)
            if own is None:  # one map per source column: the id's own map is pointed at it instead
                em.fields.append(FieldMap(source=key, target=name, score=em.score, why=why,
                                          transforms=[TransformStep(name="trim")]))
            else:
                own.kind, own.target, own.custom, own.why = "direct", name, None, why
                own.transforms, own.score = [TransformStep(name="trim")], em.score


def unique_custom_names(maps: list[EntityMap], kind: str) -> None:
    """Two maps onto one object that define a custom field of one name with different types: the later one
    gets a name of its own (a carrier's employer link is not an employer's own id)."""
    naming = kind if kind in DESTINATION_KINDS else "twenty"
    types: dict[tuple[str, str], str] = {}
    for em in maps:
        for fm in em.fields:
            if fm.custom is None or fm.kind == "skip":
                continue
            slot = (em.target_name, fm.custom.name)
            if types.setdefault(slot, fm.custom.type) == fm.custom.type:
                continue
            label = f"{fm.custom.label or fm.key} {em.source}"
            name = custom_field_name(naming, f"{label} id" if fm.custom.type == "reference" and naming == "twenty" else label)
            fm.custom = fm.custom.model_copy(update={"name": name})
            fm.target = f"custom:{name}"
            types[(em.target_name, name)] = fm.custom.type
