"""Appointment times: a date column plus hour/minute columns become one start, and with a length one end."""

from __future__ import annotations

from typing import Any

from mapper.propose.dental import source_concepts, target_concepts
from mapper.schema import Entity, Field
from mapper.spec import FieldMap, TransformStep
from mapper.transforms import OUTPUT_FORMATS

_DATETIME = ("datetime", "date")


def _of(entity: Entity, concept: str) -> list[Field]:
    return [f for f in entity.fields if concept in source_concepts(entity.name, f.name, f.description)]


def _start_field(fields: list[FieldMap], dest: Entity, day: str) -> tuple[str, float, list[Any]] | None:
    """(target, score, alternatives) of the start: where the date (or a precombined start column) is mapped,
    else the object's own start field."""
    for fm in fields:
        if fm.kind == "direct" and fm.target and dest.has(fm.target) and dest.field(fm.target).type in _DATETIME \
                and (day in fm.sources or "appointment_start" in target_concepts(dest.name, fm.target)):
            return fm.target, fm.score, list(fm.alternatives)
    day_map = next((fm for fm in fields if day in fm.sources), None)
    for f in dest.fields:
        if not f.readonly and f.type in _DATETIME and "appointment_start" in target_concepts(dest.name, f.name):
            return f.name, day_map.score if day_map is not None else 0.0, []
    return None


def combine_times(entity: Entity, fields: list[FieldMap], dest: Entity | None, kind: str) -> list[FieldMap]:
    """Field maps with the date and its time parts joined into one start (datetime_combine -> to_utc),
    plus an end from the length when the destination object has an end field nothing writes yet."""
    day = next((f for f in _of(entity, "appointment_start") if f.type in (*_DATETIME, "string")), None)
    parts = _of(entity, "appointment_time")
    if day is None or not parts or dest is None:
        return fields
    start = _start_field(fields, dest, day.name)
    if start is None:
        return fields
    target, score, alternatives = start
    names = {day.name, *(p.name for p in parts)}
    steps = [TransformStep(name="datetime_combine"),
             TransformStep(name="to_utc", args={"format": kind if kind in OUTPUT_FORMATS else "iso"})]
    sources = [day.name, *(p.name for p in parts)]
    why = f"{', '.join(sources)} combine into the start (to UTC)"
    # The parts, and anything else that wrote the start (a connector's precombined column), give way.
    out = [fm for fm in fields if not (fm.kind in ("direct", "custom") and (set(fm.sources) & names
                                                                             or fm.target == target))]
    out.append(FieldMap(source=sources, target=target, score=score, why=why, transforms=steps, alternatives=alternatives))
    length = next(iter(_of(entity, "appointment_duration")), None)
    written = {fm.target for fm in out}
    end = next((f for f in dest.fields if not f.readonly and f.type in _DATETIME and f.name not in written
                and "appointment_end" in target_concepts(dest.name, f.name)), None)
    if length is not None and end is not None:
        out.append(FieldMap(source=[*sources, length.name], target=end.name, score=score,
                            why=f"the start plus {length.name} (minutes) gives the end", transforms=steps))
    return out
