"""Reconcile & rollback: source vs ledger vs destination, money totals, the audit CSV, and undoing a run."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from executor.aging import BUCKETS, FIGURES
from executor.audit import export_audit
from executor.reconcile import ReconcileReport, reconcile
from executor.rollback import LOAD_KINDS, RollbackReport, rollback, target_run
from executor.session import Session
from executor.status import status
from mapper.errors import BridgeworkError
from ui import state

AUDIT_NAME = "audit.csv"
LEDGER_STATES = ("loaded", "skipped", "rejected", "failed", "conflict", "pending", "deleted")
SILENT_WORDS = {"truncated": "cut short", "case": "with changed case", "dropped": "not stored",
                "changed": "stored differently"}

ws = state.workspace()
st.title("Reconcile & rollback")
st.caption("A load is finished when the destination, read back, agrees with the source and the ledger — not when the "
           "last request said OK. Anything loaded can be undone here.")

if not ws.mapping_path.exists():
    st.info("There is no map yet. Run bridgework propose first, then review it on **Review the map**.")
    st.stop()

rec_key, preview_key = f"reconcile::{ws.root}", f"rollback_preview::{ws.root}"
options = ws.settings.options


def _reconcile_table(report: ReconcileReport) -> pd.DataFrame:
    return pd.DataFrame([{
        "Entity map": m, "Source": r.source, "Loaded": r.loaded, "Skipped": r.skipped, "Rejected": r.rejected,
        "Pending/failed": r.unsettled, "Destination": r.destination, "Result": "OK" if r.ok else "Differs",
        "Why": "; ".join(r.problems)} for m, r in report.maps.items()])


def _money_table(report: ReconcileReport) -> pd.DataFrame:
    return pd.DataFrame([{
        "Entity map": m, "Field": name, "Sent (from source)": totals["source"], "In destination": totals["destination"],
        "Balances that differ": r.groups_off.get(name, 0)}
        for m, r in report.maps.items() for name, totals in r.money.items()])


def _ar_table(ar: dict[str, Any]) -> pd.DataFrame:
    sides = {"Source": ar["source"], "Loaded (read back)": ar["loaded"], "Skipped/rejected": ar["not_loaded"]}
    return pd.DataFrame({col: [*(side[n] for n in FIGURES), *side["aging"].values()] for col, side in sides.items() if side},
                        index=[*(n.replace("_", " ").capitalize() for n in FIGURES), *(f"Aging {b} days" for b in BUCKETS)])


def _run_label(run: dict[str, Any]) -> str:
    started = str(run["started_at"]).replace("T", " ").removesuffix("+00:00")
    return f"Run {run['id']} — {run['kind']}, {run['status']}, started {started} UTC by {run['operator']}"


def _rollback_summary(r: RollbackReport, verb: str) -> str:
    text = (f"{verb} delete {sum(r.deleted.values()):,} record(s) and restore {sum(r.restored.values()):,} updated "
            f"record(s) of run {r.target_run}.")
    if r.skipped_total:
        text += f" {r.skipped_total:,} record(s) were edited in the destination after bridgework wrote them: left alone."
    return text


with state.guarded(Session.open, ws) as s:
    s.ledger.operator = state.operator(ws)
    newest_run = int(s.ledger.scalar("SELECT COALESCE(MAX(id), 0) FROM runs") or 0)
    if st.button("Reconcile now", type="primary", key="reconcile_now"):
        with st.spinner("Reading the destination back ..."):
            st.session_state[rec_key] = (newest_run, state.guarded(reconcile, s))
    if st.session_state.pop("export_audit", False):
        rows = export_audit(s.ledger, ws.reports_dir / AUDIT_NAME)
        st.session_state["audit_rows"] = rows
    loads = [r for r in s.ledger.runs() if r["kind"] in LOAD_KINDS]
    try:
        undoable: int | None = target_run(s, None)
    except BridgeworkError:
        undoable = None
    current = status(s.ledger, str(ws.root))
    action = st.session_state.pop("rollback_action", None)
    if action is not None:
        run_id, dry, force = action
        undone = state.guarded(rollback, s, run_id, dry_run=dry, force=force)
        if dry:
            st.session_state[preview_key] = (run_id, force, undone)
        else:
            st.session_state.pop(preview_key, None)
            st.session_state["rollback_done"] = _rollback_summary(undone, "Did")
        st.rerun()

st.header("Reconcile")
stored: tuple[int, ReconcileReport] | None = st.session_state.get(rec_key)
report = stored[1] if stored is not None and stored[0] == newest_run else None  # stale once anything ran since
if report is None:
    if not current.maps:
        st.info("Nothing has been loaded yet. Next: a **Sample & diff**, then the **Run**.")
    else:
        st.info("Next: press **Reconcile now** to read the destination back and compare it with the source and the ledger.")
        counts = pd.DataFrame(current.maps).T.fillna(0).astype(int)
        counts = counts[[c for c in LEDGER_STATES if c in counts.columns]]
        counts.columns = [c.capitalize() for c in counts.columns]
        st.markdown("**What the ledger says so far (not yet checked against the destination)**")
        st.dataframe(counts.rename_axis("Entity map"), width="stretch", height="content")
else:
    table = _reconcile_table(report)
    differ = table[table["Result"] != "OK"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Entity maps that agree", f"{len(table) - len(differ)} of {len(table)}")
    c2.metric("Loaded (ledger)", f"{int(table['Loaded'].sum()):,}")
    c3.metric("In the destination", f"{int(table['Destination'].sum()):,}")
    if report.ok:
        st.success("Reconcile OK: the destination holds exactly what the ledger says was loaded, and every source record "
                   "is accounted for (loaded, skipped by the map or rejected).")
    else:
        st.error(f"{len(differ)} entity map(s) differ. The 'Why' column says how; fix the cause, then run again "
                 "(it resumes) and reconcile.")
    not_loaded = int(table["Rejected"].sum() + table["Pending/failed"].sum())
    if not_loaded:
        st.warning(f"{not_loaded:,} source record(s) are not in the destination (rejected or still failing). "
                   "The correction report on **Data check** says what to fix; then **Run** again (it resumes).")
    st.caption(f"Tolerance: {options.count_tolerance} record(s) per entity map, {options.money_tolerance} in money "
               "totals (bridgework.toml [options]).")
    shown = table if len(differ) else table.drop(columns="Why")
    st.dataframe(shown.style.apply(lambda row: ["background-color: #f8d7da" if row["Result"] != "OK" else ""] * len(row),
                                   axis=1),
                 hide_index=True, width="stretch", height="content",
                 column_config={"Entity map": st.column_config.TextColumn(width="medium"),
                                "Why": st.column_config.TextColumn(width="large")})
    chart = alt.Chart(table).transform_fold(["Loaded", "Skipped", "Rejected"], as_=["Outcome", "Records"]).mark_bar().encode(
        x=alt.X("Records:Q", stack="zero", title="Source records"),
        y=alt.Y("Entity map:N", sort=None, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        color=alt.Color("Outcome:N", scale=alt.Scale(domain=["Loaded", "Skipped", "Rejected"],
                                                     range=["#2e7d32", "#9e9e9e", "#c62828"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["Entity map", "Outcome:N", "Records:Q"])
    st.markdown("**Where every source record went**")
    st.altair_chart(chart, width="stretch", height=90 + 24 * len(table))
    money = _money_table(report)
    st.subheader("Money totals")
    if money.empty:
        st.caption("No money field is loaded by this map.")
    else:
        st.dataframe(money, hide_index=True, width="stretch")
    if report.ar is not None:
        ar = report.ar.as_dict()
        st.subheader(f"A/R per family (aged at {ar['as_of']})")
        st.dataframe(_ar_table(ar), width="stretch")
        (st.error if ar["problems"] else st.caption)(
            f"{ar['families_off']} of {ar['families']} families out of tolerance. " + " ".join(n + "." for n in ar["notes"]))
    silent = {m: r.field_changes for m, r in report.maps.items() if r.field_changes}
    if silent:
        st.warning("Values the destination changed without an error (compared on a sample of each map): " + "; ".join(
            f"{m}: " + ", ".join(f"{n} {SILENT_WORDS.get(kind, kind)}" for kind, n in changes.items())
            for m, changes in silent.items()) + ". **Sample & diff** shows them field by field.")

st.header("Audit trail")
st.caption("One row per record action: source id, destination id, object, action, time, operator and run. "
           "No patient values are in it.")
a, b = st.columns([1, 3])
a.button("Export the audit CSV", key="export_audit_btn",
         on_click=lambda: st.session_state.__setitem__("export_audit", True))
audit_path = ws.reports_dir / AUDIT_NAME
if audit_path.exists():
    rows = st.session_state.get("audit_rows")
    b.download_button(f"Download audit.csv{f' ({rows:,} rows)' if rows is not None else ''}", audit_path.read_bytes(),
                      file_name=AUDIT_NAME, mime="text/csv", key="download_audit")

st.header("Roll back a run")
done = st.session_state.pop("rollback_done", None)
if done:
    st.success(done + " Next: fix what was wrong, then load again.")
if not loads:
    st.info("No load has run yet, so there is nothing to roll back.")
    st.stop()
st.caption("Deletes what the run created in the destination and restores what it updated. Records someone edited in "
           "the destination after bridgework wrote them are left alone unless you include them.")
choices = list(reversed(loads))
default = next((i for i, r in enumerate(choices) if r["id"] == undoable), 0)
if undoable is None:
    st.caption("No run has records left in the destination.")
pick = st.selectbox("Run", range(len(choices)), index=default, format_func=lambda i: _run_label(choices[i]),
                    key="rollback_run")
run_id = int(choices[pick]["id"])
force = st.checkbox("Also undo records someone edited in the destination after bridgework wrote them", value=False,
                    key="rollback_force")
if st.button("Preview the rollback", key="rollback_preview"):
    st.session_state["rollback_action"] = (run_id, True, force)
    st.rerun()
preview: tuple[int, bool, RollbackReport] | None = st.session_state.get(preview_key)
if preview is None or preview[0] != run_id or preview[1] != force:
    st.info("Next: press **Preview the rollback** to see what would be removed. Nothing changes yet.")
    st.stop()
_, _, dry = preview
st.warning(_rollback_summary(dry, "Would"))
per_map = pd.DataFrame({"Delete": pd.Series(dry.deleted), "Restore": pd.Series(dry.restored, dtype="int64"),
                        "Left alone (edited)": pd.Series(dry.edited_skipped, dtype="int64")}).fillna(0).astype(int)
per_map.index.name = "Entity map"
if not per_map.empty:
    st.dataframe(per_map, width="stretch")
understood = st.checkbox(f"I understand: these records will be removed from {ws.settings.destination.kind} "
                         "(the source is never touched).", key="rollback_understood")
if st.button(f"Roll back run {run_id}", type="primary", disabled=not understood, key="rollback_do"):
    st.session_state["rollback_action"] = (run_id, False, force)
    st.rerun()
