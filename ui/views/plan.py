"""Schema plan: the custom fields and objects the map needs, tier-limit warnings, and one button to create them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from executor.schema_apply import apply_plan, plan_changes
from executor.session import Session
from ui import state

ws = state.workspace()
st.title("Schema plan")
st.caption("Some source fields have no home in the destination yet. bridgework creates them as custom fields "
           "(and custom objects), records each one so a rollback can remove it, and never creates one twice.")

if not ws.mapping_path.exists():
    st.info("There is no map yet. Run bridgework propose first, then review it on **Review the map**.")
    st.stop()

with state.guarded(Session.open, ws) as s:
    s.ledger.operator = state.operator(ws)
    live = state.guarded(s.destination.describe)
    view = state.guarded(plan_changes, s.spec, live, ws.settings.destination.kind, s.ledger, s.destination.capabilities)
    if view.pending and st.button(f"Create {len(view.pending)} custom field(s)/object(s) now", type="primary",
                                  key="apply_plan"):
        with st.spinner("Creating them in the destination ..."):
            _, made = state.guarded(apply_plan, view, s.destination, s.ledger)
            state.guarded(s.destination.describe).save(ws.destination_schema_path)
        st.session_state["plan_made"] = made
        st.rerun()
    applied = s.ledger.schema_changes("applied")

made: list[str] = st.session_state.pop("plan_made", [])
if made:
    st.success(f"Created {len(made)} custom field(s)/object(s) in {ws.settings.destination.kind}. "
               "Next: **Data check**.")

c1, c2, c3 = st.columns(3)
c1.metric("To create", len(view.pending))
c2.metric("Already created", len(applied))
c3.metric("Warnings", len(view.warnings))

for warning in view.warnings:
    st.warning(warning)

if view.pending:
    st.subheader("Still to create")
    st.dataframe(
        pd.DataFrame({
            "What": [c.kind for c in view.pending],
            "Object": [c.entity for c in view.pending],
            "Name": [c.name for c in view.pending],
            "Type": [c.type for c in view.pending],
            "Why": [c.reason for c in view.pending],
        }),
        hide_index=True, width="stretch", height="content",
        column_config={"What": st.column_config.TextColumn(width="small"),
                       "Type": st.column_config.TextColumn(width="small"),
                       "Why": st.column_config.TextColumn(width="large")},
    )
    st.info("Next: press the button above to create them (safe to press twice: nothing is created twice).")
elif not made:
    st.success("Nothing left to create: the destination has every field the map needs. Next: **Data check**.")

if applied:
    with st.expander(f"Already created ({len(applied)})", expanded=not view.pending):
        st.dataframe(
            pd.DataFrame({
                "Object": [row["change"].get("entity", "") for row in applied],
                "Name": [row["change"].get("name", row["key"]) for row in applied],
                "Type": [row["change"].get("type", "") for row in applied],
                "Created (UTC)": [str(row["at"]).replace("T", " ").removesuffix("+00:00") for row in applied],
                "Plan run": [row["run_id"] for row in applied],
            }),
            hide_index=True, width="stretch",
        )
        st.caption("Rolling back with the custom fields included removes them again (Reconcile & rollback).")
