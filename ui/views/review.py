"""Review the map: every proposal with its confidence and why; every decision saved at once."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from mapper.schema import Entity
from mapper.spec import CustomFieldDef, Decision, EntityMap, FieldMap, now_utc, validate_against
from ui import state
from ui.value_maps import REJECT, apply_choices, known_codes, options_of, other_choice, shown_choices

SKIP = "skip"
LOW = 0.6
ENTITY_KINDS = {
    "primary": "one record per source record",
    "merge": "merged into an object shared with other entities (e.g. carriers into companies)",
    "split": "one of several objects this entity feeds",
    "junction": "a link between two records",
    "custom_object": "a new custom object",
    "join": "folded into the records that point at it (no records of its own)",
    "skip": "not migrated",
}

ws = state.workspace()
spec = state.load_spec(ws)
source, destination = state.load_schemas(ws)
who = state.operator(ws)


def _save(message: str) -> None:
    spec.save(ws.mapping_path)
    st.toast(message)


def _decide(fm: FieldMap | EntityMap, status: str) -> None:
    fm.decision = Decision(status=status, by=who, at=now_utc())  # type: ignore[arg-type]


def _custom_target(fm: FieldMap) -> str:
    from mapper.naming import custom_field_name

    return f"custom:{custom_field_name(ws.settings.destination.kind, fm.sources[0])}"


def _field_options(em: EntityMap, fm: FieldMap) -> list[str]:
    options: list[str] = []
    if destination.has(em.target):
        options = [f.name for f in destination.entity(em.target).fields if not f.readonly]
    for extra in (fm.target or "", *(c.target for c in fm.alternatives)):
        if extra and extra not in options:
            options.append(extra)
    return sorted(options) + [SKIP]


def _samples(entity: Entity | None, fm: FieldMap) -> str:
    if entity is None:
        return ""
    out: list[str] = []
    for name in fm.sources:
        if entity.has(name) and entity.field(name).profile is not None:
            profile = entity.field(name).profile
            assert profile is not None
            out.extend(profile.top_values[:3] or profile.examples[:3])
    return " | ".join(out)


def _set_target(em: EntityMap, fm: FieldMap, target: str) -> None:
    if target == SKIP:
        fm.kind, fm.target = "skip", None
    elif target.startswith("custom:"):
        fm.kind, fm.target = "custom", target
        if fm.custom is None:
            src_type = src_entity.field(fm.sources[0]).type if src_entity and src_entity.has(fm.sources[0]) else "string"
            fm.custom = CustomFieldDef(name=target.removeprefix("custom:"), type=src_type, label=fm.sources[0])
    else:
        fm.kind = "relation" if fm.lookup else "direct"
        fm.target = target
    _decide(fm, "confirmed")


def _target_label(fm: FieldMap) -> str:
    if fm.kind == "custom":
        return fm.target or f"custom:{fm.custom.name if fm.custom else fm.sources[0]}"
    return SKIP if fm.kind == "skip" or not fm.target else fm.target


st.title("Review the map")
if not spec.entities:
    st.info("mapping.yaml has no proposals yet. Run: bridgework propose")
    st.stop()

all_fields = [(em, fm) for em in spec.entities for fm in em.fields]
confirmed = sum(fm.status == "confirmed" for _, fm in all_fields)
waiting = sum(fm.status == "proposed" for _, fm in all_fields)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Field maps", len(all_fields))
c2.metric("Confirmed", confirmed)
c3.metric("Waiting for you", waiting)
c4.metric("Low confidence", sum(fm.score < LOW and fm.status == "proposed" for _, fm in all_fields))

with st.expander("Confidence of all proposals", expanded=False):
    hist = pd.DataFrame({"confidence": [fm.score for _, fm in all_fields], "status": [fm.status for _, fm in all_fields]})
    chart = alt.Chart(hist).mark_bar().encode(
        x=alt.X("confidence:Q", bin=alt.Bin(step=0.05), title="Confidence"),
        y=alt.Y("count():Q", title="Field maps"),
        color=alt.Color("status:N", title="Status"),
    )
    st.altair_chart(chart, width="stretch")

labels = [
    f"{em.source} → {em.target}  ({sum(f.status == 'confirmed' for f in em.fields)}/{len(em.fields)} confirmed)"
    for em in spec.entities
]
index = st.selectbox("Source entity", range(len(spec.entities)), format_func=labels.__getitem__, key="entity_index")
em = spec.entities[index]
src_entity = source.entity(em.source) if source.has(em.source) else None

with st.container(border=True):
    left, right = st.columns([3, 1])
    left.markdown(f"**{em.source}** lands in **{em.target}** ({em.kind}) — confidence {em.score:.0%}")
    if em.why:
        left.caption(em.why)
    left.caption(f"Entity status: {em.status}" + (f" by {em.decision.by}" if em.decision.by else ""))
    if em.status != "confirmed" and right.button("Confirm entity", key=f"confirm_entity_{em.id}"):
        _decide(em, "confirmed")
        _save(f"Confirmed {em.source} → {em.target}")
        st.rerun()
    with st.expander("Change where this entity lands", expanded=False):
        objects = sorted({*destination.entity_names, em.target})
        new_target = st.selectbox("Destination object", objects, index=objects.index(em.target), key=f"entity_target_{em.id}")
        kinds = list(ENTITY_KINDS)
        new_kind = st.selectbox("How", kinds, index=kinds.index(em.kind), key=f"entity_kind_{em.id}",
                                format_func=ENTITY_KINDS.__getitem__)
        if st.button("Save this choice", key=f"entity_save_{em.id}"):
            em.target, em.kind = new_target, new_kind  # type: ignore[assignment]
            _decide(em, "confirmed")
            _save(f"{em.source} now lands in {new_target} ({new_kind})")
            st.rerun()

issues = validate_against(spec, source, destination)
stale = {str(i.ref) for i in issues if i.stale and i.ref is not None}
if stale:
    st.warning(f"{len(stale)} confirmed decision(s) no longer fit the schemas (a field was renamed or removed). "
               "Show \"Changed since last review\" to decide them again; they will not load until you do.")


def _changed(fm: FieldMap) -> bool:
    return f"{em.id}:{fm.key}" in stale or (fm.status == "proposed" and bool(fm.decision.reason))


show = st.radio("Show", ["All", "Unconfirmed", "Low confidence", "Changed since last review"], horizontal=True,
                key="show_filter")
visible = [
    fm for fm in em.fields
    if show == "All" or (show == "Unconfirmed" and fm.status == "proposed") or (show == "Low confidence" and fm.score < LOW)
    or (show == "Changed since last review" and _changed(fm))
]

threshold = st.slider("Accept every proposal at or above this confidence", 0.5, 1.0, 0.9, 0.01, key="threshold")
strong = [(e, f) for e, f in all_fields if f.status == "proposed" and f.score >= threshold]
if st.button(f"Accept all {len(strong)} proposals ≥ {threshold:.0%}", disabled=not strong, key="bulk_accept"):
    for _, fm in strong:
        _decide(fm, "confirmed")
    _save(f"Confirmed {len(strong)} field maps")
    st.rerun()

editor_key = f"editor_{em.id}"


def _apply_table_edits() -> None:
    """Edits made in the table arrive as widget state on the next run: apply, save, reset the table."""
    state_value = st.session_state.get(editor_key)
    edits: dict[Any, dict[str, Any]] = state_value.get("edited_rows", {}) if isinstance(state_value, dict) else {}
    for row, change in edits.items():
        fm = visible[int(row)]
        if "Target" in change and change["Target"]:
            _set_target(em, fm, str(change["Target"]))
        if "Confirm" in change:
            _decide(fm, "confirmed" if change["Confirm"] else "proposed")
    if edits:
        _save(f"Saved {len(edits)} change(s) to mapping.yaml")
        del st.session_state[editor_key]


_apply_table_edits()
table = pd.DataFrame(
    {
        "Confirm": [fm.status == "confirmed" for fm in visible],
        "Source field": [" + ".join(fm.sources) for fm in visible],
        "Samples (masked)": [_samples(src_entity, fm) for fm in visible],
        "Target": [_target_label(fm) for fm in visible],
        "Confidence": [fm.score for fm in visible],
        "Why": [fm.why for fm in visible],
        "Status": [fm.status for fm in visible],
    }
)
options: list[str] = sorted({o for fm in visible for o in (*_field_options(em, fm), _target_label(fm))})

st.data_editor(
    table,
    key=editor_key,
    hide_index=True,
    width="stretch",
    disabled=["Source field", "Samples (masked)", "Confidence", "Why", "Status"],
    column_config={
        "Confirm": st.column_config.CheckboxColumn(help="Tick to confirm this map"),
        "Target": st.column_config.SelectboxColumn(options=options, help="Destination field, custom:… or skip"),
        "Source field": st.column_config.TextColumn(width="small"),
        "Samples (masked)": st.column_config.TextColumn(width="medium"),
        "Confidence": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent", width="small"),
        "Why": st.column_config.TextColumn(width="medium"),
        "Status": st.column_config.TextColumn(width="small"),
    },
)

st.subheader("One field at a time")
if not visible:
    st.info("Nothing to show with this filter.")
    st.stop()
pick = st.selectbox("Field", range(len(visible)), format_func=lambda i: " + ".join(visible[i].sources), key="field_pick")
fm = visible[pick]
st.markdown(f"Proposed: **{_target_label(fm)}** — {fm.score:.0%}. {fm.why}")
if fm.alternatives:
    st.dataframe(
        pd.DataFrame({"Alternative": [c.target for c in fm.alternatives], "Confidence": [c.score for c in fm.alternatives],
                      "Why": [c.why for c in fm.alternatives]}),
        hide_index=True, width="stretch",
        column_config={"Confidence": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent")},
    )
choices = _field_options(em, fm)
current = _target_label(fm)
chosen = st.selectbox("Target (type to search)", choices, index=choices.index(current) if current in choices else 0,
                      key=f"target_pick_{em.id}_{pick}")
b1, b2, b3, b4 = st.columns(4)
if b1.button("Confirm", type="primary", key="confirm_field"):
    _set_target(em, fm, chosen)
    _save(f"Confirmed {fm.sources[0]} → {chosen}")
    st.rerun()
if b2.button("Create custom field", key="custom_field"):
    _set_target(em, fm, _custom_target(fm))
    _save(f"{fm.sources[0]} will get a custom field")
    st.rerun()
if b3.button("Skip this field", key="skip_field"):
    _set_target(em, fm, SKIP)
    _save(f"{fm.sources[0]} will not migrate")
    st.rerun()
if b4.button("Reject proposal", key="reject_field"):
    _decide(fm, "rejected")
    _save(f"Rejected the proposal for {fm.sources[0]}")
    st.rerun()


def _picklist_of(fm: FieldMap) -> tuple[str, ...]:
    """The destination options of the field this map writes (empty when it is not a picklist)."""
    name = fm.target_name
    if not name or not destination.has(em.target) or not destination.entity(em.target).has(name):
        return ()
    return destination.entity(em.target).field(name).enum_values


step = fm.step("value_map")
picklist = _picklist_of(fm) if step is not None else ()
if step is not None and picklist:
    st.markdown(f"**Value map**: each code in {' + '.join(fm.sources)} becomes one of {fm.target_name}'s options. "
                "Until a code is mapped, its records are refused and listed in the correction report.")
    codes = known_codes(fm, src_entity, step)
    if not codes:
        st.caption("The source profile lists no frequent codes for this column: add a row per code.")
    choices = options_of(picklist)
    edited = st.data_editor(
        pd.DataFrame({"Source code": codes, "Destination option": shown_choices(step, codes)}),
        key=f"value_map_{em.id}_{fm.key}", hide_index=True, num_rows="dynamic", width="stretch",
        column_config={
            "Source code": st.column_config.TextColumn(help="The code as the source system stores it"),
            "Destination option": st.column_config.SelectboxColumn(options=choices, help="What the destination gets"),
        },
    )
    others = [REJECT, *choices[1:]]
    fallback = other_choice(step)
    other = st.selectbox("Any other code", others, index=others.index(fallback) if fallback in others else 0,
                         key=f"value_map_other_{em.id}_{fm.key}")
    if st.button("Save value map", key="save_value_map"):
        mapped = apply_choices(step, list(zip(edited["Source code"], edited["Destination option"])), other)
        _decide(fm, "confirmed")
        _save(f"Value map for {' + '.join(fm.sources)}: {mapped} code(s) mapped; any other code: {other}")
        st.rerun()
