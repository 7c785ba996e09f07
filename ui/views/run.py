"""Run: start or resume the full load as `bridgework run`, watch it in the ledger, stop it safely."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from executor.preflight import preflight
from executor.session import Session
from executor.workspace import Workspace
from mapper.errors import BridgeworkError, SpecError
from ui import state

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_NAME = "run-output.json"
ERRORS_NAME = "run-errors.txt"
ENDED = ("rejected", "failed", "conflict")

ws = state.workspace()
st.title("Run")
st.caption("Loads every record in dependency order. Every batch is written to the ledger before and after it is sent, "
           "so you can stop at any time and start again later: it carries on where it stopped and never doubles a record.")

if not ws.mapping_path.exists():
    st.info("There is no map yet. Run bridgework propose first, then review it on **Review the map**.")
    st.stop()


def _run_command(root: Path) -> list[str]:
    """`bridgework run` for this workspace: the console script next to this Python, else the CLI module's main()."""
    script = Path(sys.executable).with_name("bridgework")
    base = [str(script)] if script.exists() else [sys.executable, "-c", "from ui.cli import main; main()"]
    return [*base, "run", "--workspace", str(root), "--json"]


def _alive(proc: subprocess.Popen[bytes] | None) -> bool:
    return proc is not None and proc.poll() is None


def _start(root: Path) -> None:
    reports = ws.reports_dir
    with (reports / OUTPUT_NAME).open("wb") as out, (reports / ERRORS_NAME).open("wb") as err:
        # A session of its own: Ctrl+C on the app's terminal does not reach the load; only "Stop safely" does.
        proc = subprocess.Popen(_run_command(root), cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    st.session_state["run_proc"], st.session_state["run_pid"] = proc, proc.pid
    st.session_state.pop("run_stop_sent", None)


def _stop() -> None:
    proc = st.session_state.get("run_proc")
    if _alive(proc):
        os.kill(int(st.session_state["run_pid"]), signal.SIGINT)
        st.session_state["run_stop_sent"] = True


def _readonly(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def _source_totals(workspace: Workspace, maps: list[tuple[str, str]]) -> dict[str, int]:
    """Records per entity map in the source (counted once per page session: the source does not change mid-load)."""
    cache_key = f"run_totals::{workspace.root}::{maps}"
    if cache_key not in st.session_state:
        source = state.guarded(workspace.open_source)
        try:
            st.session_state[cache_key] = {m: int(state.guarded(source.count, entity)) for m, entity in maps}
        finally:
            source.close()
    totals: dict[str, int] = st.session_state[cache_key]
    return totals


def _progress(workspace: Workspace, maps: list[tuple[str, str]]) -> tuple[dict[str, Any] | None, pd.DataFrame, pd.DataFrame]:
    """The newest load run, a row per entity map (done, errors, records/s, ETA) and errors by reason, from the ledger."""
    totals = _source_totals(workspace, maps)
    with closing(_readonly(workspace.ledger_path)) as conn:
        row = conn.execute("SELECT * FROM runs WHERE kind IN ('full', 'delta') ORDER BY id DESC LIMIT 1").fetchone()
        run = dict(row) if row else None
        states: dict[tuple[str, str], int] = {(r[0], r[1]): int(r[2]) for r in conn.execute(
            "SELECT map_id, state, COUNT(*) FROM records GROUP BY map_id, state")}
        spans = {r[0]: (int(r[1]), r[2], r[3]) for r in conn.execute(
            "SELECT map_id, COUNT(*), MIN(at), MAX(at) FROM events WHERE run_id = ? GROUP BY map_id",
            (run["id"] if run else -1,))}
        reasons = pd.DataFrame(conn.execute(
            "SELECT error_code, COUNT(*) FROM records WHERE state IN ('rejected', 'failed', 'conflict') "
            "GROUP BY error_code ORDER BY COUNT(*) DESC").fetchall(), columns=["Reason", "Records"])
    rows = []
    for map_id, _ in maps:
        done = sum(states.get((map_id, s), 0) for s in ("loaded", "skipped", "rejected"))
        errors = sum(states.get((map_id, s), 0) for s in ENDED)
        written, first, last = spans.get(map_id, (0, None, None))
        rate = None
        if written and first:  # records written per second while this map was loading
            rate = written / max(1.0, (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds())
        left = max(0, totals.get(map_id, 0) - done)
        rows.append({"Entity map": map_id, "Done": done, "Total": totals.get(map_id, 0),
                     "Progress": done / totals[map_id] if totals.get(map_id) else 1.0,
                     "Loaded": states.get((map_id, "loaded"), 0), "Errors": errors,
                     "Records/s": f"{rate:,.1f}" if rate else "",
                     "ETA": f"{left / rate:,.0f} s" if rate and left and run and run["status"] == "running" else ""})
    return run, pd.DataFrame(rows), reasons


with state.guarded(Session.open, ws) as s:
    maps = [(em.id, em.source) for em in s.ordered_maps()]
    proc: subprocess.Popen[bytes] | None = st.session_state.get("run_proc")
    refusal: BridgeworkError | None = None
    if not _alive(proc):
        with st.spinner("Checking that everything is ready ..."):
            try:
                preflight(s)
            except BridgeworkError as exc:
                refusal = exc

running = _alive(proc)
if refusal is not None:
    st.error(str(refusal))
    if isinstance(refusal, SpecError):
        st.info("The load starts once this is fixed: see **Review the map**, **Schema plan** and **Data check**.")


def _outcome(returncode: int) -> None:
    if returncode == 0:
        try:
            report = json.loads((ws.reports_dir / OUTPUT_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = {}
        loaded = sum(m.get("created", 0) + m.get("updated", 0) for m in report.get("maps", {}).values())
        rejected = sum(m.get("rejected", 0) for m in report.get("maps", {}).values())
        st.success(f"Run {report.get('run', '')} finished in {report.get('elapsed_s', 0):.1f} s: {loaded:,} record(s) "
                   f"written, {rejected:,} rejected. Next: **Reconcile & rollback** to check the result.")
    elif returncode in (130, -signal.SIGINT):
        st.warning("Stopped safely. What was loaded is kept; press **Start / resume the load** to carry on.")
    else:
        lines = [ln.strip() for ln in (ws.reports_dir / ERRORS_NAME).read_text(encoding="utf-8", errors="replace")
                 .splitlines() if ln.strip()]
        message = lines[-1].removeprefix("error:").strip() if lines else f"The load ended with code {returncode}."
        st.error(message)


if proc is not None and not running:
    _outcome(int(proc.returncode))


left, right, _ = st.columns([1, 1, 3])
if left.button("Start / resume the load", type="primary", disabled=running or refusal is not None, key="run_start"):
    _start(ws.root)
    st.rerun()
right.button("Stop safely", disabled=not running, key="run_stop", on_click=_stop,
             help="Stops after the batch in flight is recorded. Start again later: it resumes.")


@st.fragment(run_every=2 if running else None)
def _live() -> None:
    proc_now: subprocess.Popen[bytes] | None = st.session_state.get("run_proc")
    if running and not _alive(proc_now):
        st.rerun(scope="app")  # the load ended: refresh the buttons and the summary
    run, table, reasons = _progress(ws, maps)
    if running:
        stopping = " Stopping after the current batch ..." if st.session_state.get("run_stop_sent") else ""
        started = f"run {run['id']}" if run and run["status"] == "running" else "starting"
        st.info(f"Loading ({started}, process {st.session_state['run_pid']}).{stopping} "
                "This page refreshes every 2 seconds; you may leave it, the load carries on.")
    elif run is None:
        if refusal is None:
            st.info("Nothing has been loaded yet. Next: press **Start / resume the load**.")
        if not int(table["Done"].sum()):
            st.caption(f"{int(table['Total'].sum()):,} source records in {len(table)} entity maps wait to be loaded.")
            return
    elif run["status"] == "running" and proc_now is None:
        st.warning(f"Run {run['id']} did not finish: it was interrupted, or it is still running from another window. "
                   "If it is not running anywhere, press **Start / resume the load** to carry on where it stopped.")
    c1, c2, c3 = st.columns(3)
    c1.metric("Records done", f"{int(table['Done'].sum()):,} of {int(table['Total'].sum()):,}")
    c2.metric("Loaded", f"{int(table['Loaded'].sum()):,}")
    c3.metric("With errors", f"{int(table['Errors'].sum()):,}")
    st.dataframe(table, hide_index=True, width="stretch", height="content", column_config={
        "Progress": st.column_config.ProgressColumn(
            min_value=0.0, max_value=1.0, format="percent", color="blue",
            help="Share of the source records with an outcome (loaded, skipped by the map or rejected)"),
        "Errors": st.column_config.NumberColumn(help="Rejected, failed or in conflict: see Errors by reason")})
    left_chart, right_chart = st.columns(2)
    with left_chart:
        st.markdown("**Progress per object**")
        bars = table.assign(**{"Remaining": (table["Total"] - table["Done"]).clip(lower=0),
                               "Done without errors": (table["Done"] - table["Errors"]).clip(lower=0)})
        states = ["Done without errors", "Errors", "Remaining"]
        chart = alt.Chart(bars).transform_fold(states, as_=["State", "Records"]).mark_bar().encode(
            x=alt.X("Records:Q", stack="zero", title="Records"),
            y=alt.Y("Entity map:N", sort=None, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            color=alt.Color("State:N", scale=alt.Scale(domain=states, range=["#2e7d32", "#c62828", "#bdbdbd"]),
                            legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["Entity map", "State:N", "Records:Q"])
        st.altair_chart(chart, width="stretch", height=90 + 24 * len(bars))
    with right_chart:
        st.markdown("**Errors by reason**")
        if reasons.empty:
            st.caption("No errors so far.")
        else:
            chart = alt.Chart(reasons).mark_bar(color="#c62828").encode(
                x=alt.X("Records:Q", title="Records"), y=alt.Y("Reason:N", sort="-x", title=None,
                                                              axis=alt.Axis(labelLimit=260, labelOverlap=False)),
                tooltip=["Reason", "Records"])
            st.altair_chart(chart, width="stretch", height=70 + 32 * len(reasons))
            st.caption("The correction report on **Data check** lists each record and what to fix.")


_live()
