"""Sample & diff: load a few records, read them back, show what the destination changed, then keep or roll back."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from executor.diff import SILENT
from executor.preflight import preflight
from executor.rollback import rollback
from executor.sample import RecordDiff, sample
from executor.session import Session
from mapper.profile import mask
from ui import state

CHANGE_COLOURS = {"changed": "#f8d7da", "truncated": "#f8d7da", "dropped": "#f8d7da", "case": "#fff3cd"}
MEANING = {
    "same": "arrived as sent", "format": "same value, written differently", "case": "upper/lower case changed",
    "truncated": "cut short", "dropped": "not stored", "changed": "stored a different value",
}

ws = state.workspace()
st.title("Sample & diff")
st.caption("A rehearsal in the real destination: a few patients with everything they point at are loaded, read back "
           "and compared field by field. Silent changes (values the destination altered without an error) are "
           "highlighted. Then keep the sample, or roll it back.")

if not ws.mapping_path.exists():
    st.info("There is no map yet. Run bridgework propose first, then review it on **Review the map**.")
    st.stop()

key = f"sample_result::{ws.root}"


def _open_sample(s: Session) -> int | None:
    """The newest sample run that still has something to undo in the destination and no decision yet."""
    rows = s.ledger.query(
        "SELECT r.id FROM runs r WHERE r.kind = 'sample' AND (EXISTS (SELECT 1 FROM records x WHERE x.created_run = r.id "
        "AND x.state != 'deleted') OR EXISTS (SELECT 1 FROM before_images b WHERE b.run_id = r.id AND b.restored = 0)) "
        "AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.what = 'sample kept' "
        "AND c.key = CAST(r.id AS TEXT)) ORDER BY r.id DESC LIMIT 1")
    return int(rows[0]["id"]) if rows else None


def _show(value: Any, reveal: bool) -> str:
    if value is None:
        return ""
    return str(value) if reveal else mask(value)


def _diff_table(d: RecordDiff, reveal: bool) -> pd.DataFrame:
    return pd.DataFrame({
        "Field": [f.field for f in d.fields],
        "Source": [_show(f.source, reveal) for f in d.fields],
        "Sent (transformed)": [_show(f.sent, reveal) for f in d.fields],
        "Stored": [_show(f.stored, reveal) for f in d.fields],
        "Change": [f.change for f in d.fields],
        "Meaning": [MEANING.get(f.change, f.change) for f in d.fields],
    })


def _decide(choice: str) -> None:
    st.session_state["sample_decision"] = choice


def _highlight(row: pd.Series) -> list[str]:
    colour = CHANGE_COLOURS.get(str(row["Change"]))
    return [f"background-color: {colour}" if colour else ""] * len(row)


with state.guarded(Session.open, ws) as s:
    s.ledger.operator = state.operator(ws)
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    n = left.number_input("Patients in the sample", min_value=1, max_value=500, value=10, step=5, key="sample_n")
    if right.button("Run a sample", type="primary", key="run_sample"):
        state.guarded(preflight, s)
        with st.spinner(f"Loading {n} patient(s) and what they point at, then reading them back ..."):
            trial = state.guarded(sample, s, int(n))
        st.session_state[key] = {"run": trial.run.run_id, "selected": trial.selected, "diffs": trial.diffs}
        st.rerun()
    decision = st.session_state.pop("sample_decision", None)
    pending = _open_sample(s)
    if decision is not None and pending is not None:
        if decision == "keep":
            s.ledger.confirm("sample kept", str(pending), "kept in the destination from the review app")
            st.session_state["sample_done"] = f"Kept sample run {pending} in the destination."
        else:
            report = state.guarded(rollback, s, pending)
            st.session_state["sample_done"] = (f"Rolled back sample run {pending}: {sum(report.deleted.values()):,} "
                                               "record(s) deleted from the destination.")
        st.session_state.pop(key, None)
        st.rerun()

done = st.session_state.pop("sample_done", None)
if done:
    st.success(done + " Next: **Run** the full load.")

result: dict[str, Any] | None = st.session_state.get(key)
if pending is None and result is None:
    if not done:
        st.info("No sample yet. Next: choose how many patients and press **Run a sample**.")
    st.stop()

if pending is not None:
    with st.container(border=True):
        st.markdown(f"**Sample run {pending} is in the destination.** Keep it (it becomes part of the migration) "
                    "or roll it back (its records are deleted again).")
        a, b, _ = st.columns([1, 1, 3])
        a.button("Keep", key="sample_keep", on_click=_decide, args=("keep",))
        b.button("Roll back", type="primary", key="sample_rollback", on_click=_decide, args=("rollback",))

if result is None:
    st.caption("The field-by-field diff is shown right after a sample runs.")
    st.stop()
if result["run"] != pending and result["diffs"]:
    st.caption(f"Sample run {result['run']} only met records that were already loaded, so there is nothing of it to "
               "keep or roll back. Their field-by-field diff is below.")

diffs: list[RecordDiff] = result["diffs"]
silent = [(d, f) for d in diffs for f in d.fields if f.change in SILENT]
c1, c2, c3 = st.columns(3)
c1.metric("Records in the sample", f"{sum(result['selected'].values()):,}",
          help="The patients you asked for plus every record they point at or that points at them.")
c2.metric("Records read back", f"{len(diffs):,}")
c3.metric("Silent changes", f"{len(silent):,}")
if not diffs:
    st.warning("No record of the sample reached the destination, so there is nothing to compare. "
               "See **Data check** for the problems that stopped them.")
    st.stop()

if silent:
    st.warning(f"{len(silent)} field value(s) were changed by the destination without an error. Look at them before "
               "the full load: a changed map or a transform may be needed.")
    kinds = pd.DataFrame({"Change": [f.change for _, f in silent], "Entity map": [d.map_id for d, _ in silent]})
    left, right = st.columns([3, 2])
    left.dataframe(pd.DataFrame({"Entity map": [d.map_id for d, _ in silent], "Record": [d.source_id for d, _ in silent],
                                 "Field": [f.field for _, f in silent], "Change": [f.change for _, f in silent],
                                 "Meaning": [MEANING[f.change] for _, f in silent]}),
                   hide_index=True, width="stretch")
    right.altair_chart(alt.Chart(kinds).mark_bar(color="#c62828").encode(
        x=alt.X("count():Q", title="Fields"), y=alt.Y("Change:N", sort="-x", title=None), tooltip=["Change", "count()"]
    ), width="stretch", height=70 + 32 * kinds["Change"].nunique())
else:
    st.success("Every field arrived as sent (or written differently with the same value).")

reveal = st.toggle("Show real values on this screen (never saved)", value=False, key="sample_reveal")
only_silent = st.checkbox("Only records with silent changes", value=bool(silent), key="sample_only_silent")
shown = sorted((d for d in diffs if d.silent_changes or not only_silent),
               key=lambda d: (-len(d.silent_changes), -len(d.fields)))  # the telling records first
if not shown:
    st.info("No record matches this filter.")
    st.stop()
labels = [f"{d.map_id} · record {d.source_id} → {d.destination_id}"
          + (f" · {len(d.silent_changes)} silent change(s)" if d.silent_changes else "") for d in shown]
pick = st.selectbox("Record", range(len(shown)), format_func=labels.__getitem__, key="sample_pick")
st.dataframe(_diff_table(shown[pick], reveal).style.apply(_highlight, axis=1), hide_index=True, width="stretch")
st.caption("Red: the stored value differs from what was sent. Yellow: only upper/lower case differs.")
