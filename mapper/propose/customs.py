"""New custom objects and fields across the proposed maps: required fields filled, no name used twice."""

from __future__ import annotations

from mapper.naming import DESTINATION_KINDS, custom_field_name
from mapper.propose.knowledge import custom_object_required
from mapper.schema import Schema
from mapper.spec import EntityMap, FieldMap, TransformStep


def name_custom_objects(maps: list[EntityMap], source: Schema, kind: str) -> None:
    """A custom object's required fields (Salesforce `Name`) that no map writes get the source record id."""
    required = custom_object_required().get(kind, ())
    for em in maps:
        if em.kind != "custom_object" or not source.has(em.source) or not source.entity(em.source).key:
            continue
        key = source.entity(em.source).key or ""
        written = {fm.target_name for fm in em.fields}
        for name in required:
            if name not in written:
                em.fields.append(FieldMap(source=key, target=name, score=em.score, transforms=[TransformStep(name="trim")],
                                          why=f"every {kind} custom object needs a {name}: the source record id"))


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
