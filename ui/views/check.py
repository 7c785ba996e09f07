"""Data check: every record through the real transforms before the load; problems, duplicates and providers."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from executor.dedupe import decide, groups
from executor.owners import UNASSIGNED, resolve_owners
from executor.session import Session
from executor.validate import validate
from ui import state

REPORT_NAME = "correction_report.csv"
AUDIT_LABELS = {
    "missing_emails": "Missing emails", "invalid_emails": "Invalid emails", "invalid_phones": "Invalid phones",
    "orphans": "Orphans", "shared_unique_values": "Shared values", "duplicate_groups": "Possible duplicates",
}
AUDIT_HELP = {
    "orphans": "Records that point at another record which will not load (for example a visit of a rejected patient).",
    "shared_unique_values": "Values the destination wants unique that family members share; kept on one of them.",
}
PROBLEMS = {
    "required_missing": "Required field is empty", "invalid_email": "Invalid email address",
    "invalid_phone": "Invalid phone number", "unresolved_reference": "Points at a record that will not load",
    "unknown_code": "Code the destination does not know", "bad_picklist": "Not one of the field's options",
    "bad_date": "Not a date", "bad_number": "Not a number", "bad_bool": "Not yes/no", "too_long": "Too long (would be cut)",
    "shared_unique_value": "Shared with a family member", "unassigned_owner": "Provider has no destination user",
}

ws = state.workspace()
st.title("Data check")
st.caption("Runs every record through the confirmed map and the destination's rules, without writing anything. "
           "Problems go to a correction report (values masked); possible duplicates and providers wait for you here.")

if not ws.mapping_path.exists():
    st.info("There is no map yet. Run bridgework propose first, then review it on **Review the map**.")
    st.stop()
if not ws.destination_schema_path.exists():
    st.info("The destination has not been described yet. Run bridgework describe first.")
    st.stop()

key = f"check_summary::{ws.root}"
csv_path = ws.reports_dir / REPORT_NAME


def _run_checks(s: Session) -> dict[str, Any]:
    report = validate(s)
    owners = resolve_owners(s)
    return {
        "maps": pd.DataFrame({"Entity map": list(report.records), "Records": list(report.records.values()),
                              "Ready": [report.ready[m] for m in report.records],
                              "Skipped": [report.skipped[m] for m in report.records],
                              "Rejected": [report.rejected[m] for m in report.records]}),
        "audit": report.audit,
        "users_available": owners.users_available,
    }


with state.guarded(Session.open, ws) as s:
    s.ledger.operator = state.operator(ws)
    if st.button("Run the checks", type="primary", key="run_checks"):
        with st.spinner("Checking every record ..."):
            st.session_state[key] = state.guarded(_run_checks, s)
    for action, group_id in st.session_state.pop("dedupe_actions", []):
        decide(s.ledger, group_id, action)
    open_groups = groups(s.ledger, "proposed")
    decided = [g for g in groups(s.ledger) if g["status"] != "proposed"]
    owner_rows = s.ledger.query("SELECT source_entity, source_id, dest_user, status FROM owners ORDER BY source_entity, "
                                "CAST(source_id AS INTEGER), source_id")

summary: dict[str, Any] | None = st.session_state.get(key)
if summary is None and not csv_path.exists():
    st.info("Nothing checked yet. Next: press **Run the checks** "
            "(it reads the source; nothing is written to the destination).")
    st.stop()

st.header("Correction report")
if summary is not None:
    maps: pd.DataFrame = summary["maps"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Records checked", f"{int(maps['Records'].sum()):,}")
    c2.metric("Ready to load", f"{int(maps['Ready'].sum()):,}")
    c3.metric("With problems", f"{int(maps['Rejected'].sum()):,}")
else:
    st.caption("This is the report from the last check. Press **Run the checks** again after fixing the source or the map.")

findings = pd.read_csv(csv_path, dtype=str, keep_default_na=False) if csv_path.exists() else pd.DataFrame()
if findings.empty:
    st.success("No problems found in any record.")
else:
    findings["Problem"] = findings["code"].map(lambda c: PROBLEMS.get(c, c.replace("_", " ")))
    by_code = (findings.groupby(["Problem", "severity"]).size().reset_index(name="Records")
               .sort_values("Records", ascending=False).rename(columns={"severity": "Severity"}))
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Problems by kind**")
        st.dataframe(by_code, hide_index=True, width="stretch")
    with right:
        st.markdown("**Errors by reason**")
        chart = alt.Chart(by_code).mark_bar(color="#c62828").encode(
            x=alt.X("Records:Q", title="Records"), y=alt.Y("Problem:N", sort="-x", title=None,
                                                          axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            tooltip=["Problem", "Records"])
        st.altair_chart(chart, width="stretch", height=70 + 32 * len(by_code))
    st.markdown("**Problems by entity map**")
    st.dataframe(findings.pivot_table(index="entity_map", columns="Problem", values="code", aggfunc="count", fill_value=0)
                 .rename_axis(index="Entity map", columns=None), width="stretch")
    with st.expander("First 200 rows of the report (values masked)"):
        st.dataframe(findings.head(200), hide_index=True, width="stretch")
    st.download_button("Download the correction report (CSV)", csv_path.read_bytes(), file_name=REPORT_NAME,
                       mime="text/csv", key="download_report")
    st.caption(f"Also saved in {csv_path}. Fix the values in the source, or change the map, then check again.")

if summary is not None:
    st.header("Data audit")
    audit: dict[str, int] = summary["audit"]
    columns = st.columns(len(audit))
    for column, (name, value) in zip(columns, audit.items()):
        column.metric(AUDIT_LABELS.get(name, name.replace("_", " ").capitalize()), f"{value:,}", help=AUDIT_HELP.get(name))
    with st.expander("Records per entity map"):
        st.dataframe(summary["maps"], hide_index=True, width="stretch")

st.header("Possible duplicates")
st.caption("Family members share emails and phones, so those alone never merge anyone: a group needs the same last "
           "name, first name and date of birth. Confirm a merge only when they really are one person.")


def _queue(action: str, group_id: str | None) -> None:
    st.session_state.setdefault("dedupe_actions", []).append((action, group_id))


if not open_groups:
    st.success("No possible duplicates wait for a decision." if summary is not None or decided
               else "No possible duplicates found so far.")
else:
    st.warning(f"{len(open_groups)} group(s) wait for your decision. The load will not start until each one is "
               "merged or kept apart.")
    for g in open_groups:
        with st.container(border=True):
            a, b, c = st.columns([4, 1, 1])
            a.markdown(f"**Group {g['group_id']}** — records {', '.join(g['members'])} (kept: {g['survivor']}), "
                       f"score {g['score']:.2f}  \n{'; '.join(g['evidence'])}")
            b.button("Merge", key=f"merge_{g['group_id']}", on_click=_queue, args=("confirmed", g["group_id"]))
            c.button("Keep apart", key=f"split_{g['group_id']}", on_click=_queue, args=("split", g["group_id"]))
    st.button("Keep every group apart", key="split_all", on_click=_queue, args=("split", None))
if decided:
    with st.expander(f"Decided groups ({len(decided)})"):
        st.dataframe(pd.DataFrame({
            "Group": [g["group_id"] for g in decided], "Records": [", ".join(g["members"]) for g in decided],
            "Decision": ["merge" if g["status"] == "confirmed" else "keep apart" for g in decided],
            "By": [g["decided_by"] for g in decided], "When": [g["decided_at"] for g in decided]}),
            hide_index=True, width="stretch")

st.header("Providers")
if not owner_rows:
    st.info("Providers are matched to destination users when you run the checks.")
else:
    unassigned = [r for r in owner_rows if r["status"] == "unassigned"]
    c1, c2 = st.columns(2)
    c1.metric("Matched to a user", len(owner_rows) - len(unassigned))
    c2.metric(f'Go to "{UNASSIGNED}"', len(unassigned))
    if summary is not None and not summary["users_available"] and len(unassigned) == len(owner_rows):
        st.caption(f"The destination did not list any user, so every provider is \"{UNASSIGNED}\" for now.")
    if unassigned:
        st.caption("These providers have no destination user with the same email, so their records go to "
                   f'"{UNASSIGNED}": the connecting user where the destination names one (Odoo), else no owner. '
                   "Create the users in the destination, then run the checks again (reports/owner_report.csv).")
        st.dataframe(pd.DataFrame({"Source entity": [r["source_entity"] for r in unassigned],
                                   "Provider id": [r["source_id"] for r in unassigned]}), hide_index=True)
