"""The migration pages (schema plan, data check, sample, run, reconcile & rollback) on a real demo workspace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from connectors.emulators.serve import free_port
from executor.dedupe import Group, groups, store_groups
from executor.diff import FieldDiff
from executor.ledger import open_ledger
from executor.sample import RecordDiff
from executor.workspace import Workspace
from tests.ui.conftest import APP, copy_workspace


@pytest.fixture
def use(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Open a private copy of a prepared workspace (a conftest fixture name) in the app."""

    def _use(prepared: str) -> Workspace:
        ws = copy_workspace(request.getfixturevalue(prepared), tmp_path / "ws")
        monkeypatch.setenv("BRIDGEWORK_WORKSPACE", str(ws.root))
        return ws

    return _use


def _page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(f"views/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at: AppTest) -> str:
    return " | ".join(e.value for kind in ("success", "info", "warning", "error") for e in getattr(at, kind))


def _ledger_scalar(ws: Workspace, sql: str) -> int:
    ledger = open_ledger(ws.ledger_path)
    try:
        return int(ledger.scalar(sql) or 0)
    finally:
        ledger.close()


# -- schema plan -----------------------------------------------------------------------------------------------------
def test_plan_lists_the_changes_and_applies_them_once(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_proposed")
    at = _page("plan")
    pending = int(_metrics(at)["To create"])
    assert pending > 0 and _metrics(at)["Already created"] == "0"
    assert len(at.dataframe[0].value) == pending
    at.button(key="apply_plan").click().run()
    assert not at.exception, at.exception
    assert f"Created {pending} custom field(s)/object(s)" in at.success[0].value
    assert _ledger_scalar(ws, "SELECT COUNT(*) FROM schema_changes WHERE state = 'applied'") == pending
    at.run()
    assert _metrics(at)["To create"] == "0" and _metrics(at)["Already created"] == str(pending)
    assert not [b for b in at.button if b.key == "apply_plan"]  # nothing left to press


# -- data check ------------------------------------------------------------------------------------------------------
def test_check_runs_validate_and_shows_the_report(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    (ws.reports_dir / "correction_report.csv").unlink(missing_ok=True)
    at = _page("check")
    assert "press **Run the checks**" in at.info[0].value
    at.button(key="run_checks").click().run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    rows = (ws.reports_dir / "correction_report.csv").read_text(encoding="utf-8").count("\n") - 1
    assert int(metrics["Records checked"].replace(",", "")) > 0
    assert "Invalid phones" in metrics and "Possible duplicates" in metrics
    assert at.get("download_button")  # the CSV is offered for download
    if rows:
        by_kind = at.dataframe[0].value
        assert int(by_kind["Records"].sum()) == rows and "Problem" in by_kind.columns
    providers = _ledger_scalar(ws, "SELECT COUNT(*) FROM owners")
    assert providers and int(metrics["Matched to a user"]) + int(metrics['Go to "Unassigned Provider"']) == providers


def test_check_merge_and_split_duplicate_groups(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    ledger = open_ledger(ws.ledger_path)
    store_groups(ledger, "patient", [Group("G1", ["1", "7"], "1", ["same last name, first name", "same date of birth"], 0.8),
                                     Group("G2", ["2", "9"], "2", ["same last name, similar first name"], 0.65)])
    ledger.close()
    at = _page("check")
    assert "2 group(s) wait for your decision" in at.warning[0].value
    at.button(key="merge_G1").click().run()
    at.button(key="split_G2").click().run()
    assert not at.exception, at.exception
    ledger = open_ledger(ws.ledger_path)
    try:
        decided = {g["group_id"]: g["status"] for g in groups(ledger) if g["group_id"] in ("G1", "G2")}
    finally:
        ledger.close()
    assert decided == {"G1": "confirmed", "G2": "split"}
    assert "No possible duplicates wait for a decision." in _texts(at)


# -- sample ----------------------------------------------------------------------------------------------------------
def test_sample_loads_reads_back_and_rolls_back(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    at = _page("sample")
    assert "No sample yet" in at.info[0].value
    at.number_input(key="sample_n").set_value(3).run()
    at.button(key="run_sample").click().run()
    assert not at.exception, at.exception
    run_id = _ledger_scalar(ws, "SELECT MAX(id) FROM runs WHERE kind = 'sample'")
    live = f"SELECT COUNT(*) FROM records WHERE created_run = {run_id} AND state = 'loaded'"
    loaded = _ledger_scalar(ws, live)
    assert int(_metrics(at)["Records read back"]) == loaded
    if not loaded:  # nothing of this map reached the destination: the page says so instead of an empty diff
        assert "nothing to compare" in _texts(at)
        return
    assert list(at.dataframe[-1].value.columns)[:5] == ["Field", "Source", "Sent (transformed)", "Stored", "Change"]
    assert f"Sample run {run_id} is in the destination" in " ".join(m.value for m in at.markdown)
    at.button(key="sample_rollback").click().run()
    assert not at.exception, at.exception
    assert f"Rolled back sample run {run_id}" in at.success[0].value
    assert _ledger_scalar(ws, live) == 0


def test_sample_diff_highlights_silent_changes(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    at = _page("sample")
    fields = [FieldDiff("name", "ANN SMITH", "Ann Smith", "ann smith", "case"),
              FieldDiff("comment", "note", "a long note", "a long", "truncated"),
              FieldDiff("email", "a@example.com", "a@example.com", "a@example.com", "same")]
    at.session_state[f"sample_result::{ws.root}"] = {
        "run": 99, "selected": {"patient->res.partner": 1},
        "diffs": [RecordDiff("patient->res.partner", "1", "7", fields),
                  RecordDiff("patient->res.partner", "2", "8", fields[2:])]}
    at.run()
    assert not at.exception, at.exception
    assert _metrics(at)["Records read back"] == "2" and _metrics(at)["Silent changes"] == "2"
    assert "2 field value(s) were changed by the destination" in at.warning[0].value
    silent = at.dataframe[0].value
    assert list(silent["Change"]) == ["case", "truncated"] and list(silent["Record"]) == ["1", "1"]
    diff = at.dataframe[-1].value  # the record with silent changes, values masked
    assert list(diff["Change"]) == ["case", "truncated", "same"]
    assert "ann smith" not in " ".join(diff["Stored"]) and "a@example.com" not in " ".join(diff["Stored"])
    at.toggle(key="sample_reveal").set_value(True).run()
    assert "ann smith" in list(at.dataframe[-1].value["Stored"])


# -- run -------------------------------------------------------------------------------------------------------------
def test_run_refuses_before_the_plan_is_applied(use) -> None:  # type: ignore[no-untyped-def]
    use("demo_proposed")
    at = _page("run")
    assert "schema plan has" in at.error[0].value and "bridgework plan --apply" in at.error[0].value
    assert at.button(key="run_start").disabled


def _wait_for(at: AppTest, proc, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    proc.wait(timeout=90)
    at.run()
    assert not at.exception, at.exception


def test_run_refuses_while_duplicates_wait(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    ledger = open_ledger(ws.ledger_path)
    store_groups(ledger, "patient", [Group("G1", ["1", "7"], "1", ["same last name, first name"], 0.8)])
    ledger.close()
    at = _page("run")
    assert "1 possible duplicate group(s) wait for a decision" in at.error[0].value
    assert at.button(key="run_start").disabled


def test_run_starts_a_subprocess_and_stops_it_safely(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_planned")
    at = _page("run")
    assert not at.error and "Nothing has been loaded yet" in at.info[0].value
    at.button(key="run_start").click().run()
    assert not at.exception, at.exception
    proc = at.session_state["run_proc"]
    assert at.session_state["run_pid"] == proc.pid and "Loading (" in at.info[0].value
    deadline = time.monotonic() + 60  # wait until the load has really begun, then stop it
    loading = "SELECT COUNT(*) FROM events WHERE run_id IN (SELECT id FROM runs WHERE kind = 'full')"
    while time.monotonic() < deadline and proc.poll() is None and not _ledger_scalar(ws, loading):
        time.sleep(0.05)
    at.button(key="run_stop").click().run()
    assert not at.exception, at.exception
    proc.wait(timeout=90)
    at.run()
    assert not at.exception, at.exception
    maps = ", ".join(f"'{m}'" for m in at.dataframe[0].value["Entity map"])
    done = _ledger_scalar(ws, f"SELECT COUNT(*) FROM records WHERE state IN ('loaded', 'skipped', 'rejected') "
                              f"AND map_id IN ({maps})")
    assert _metrics(at)["Records done"].startswith(f"{done:,} of ")
    if proc.returncode == 130:  # stopped mid-load: the ledger says so and the page says how to carry on
        assert _ledger_scalar(ws, "SELECT COUNT(*) FROM runs WHERE kind = 'full' AND status != 'stopped'") == 0
        assert "Stopped safely" in at.warning[0].value and not at.button(key="run_start").disabled
    else:  # the small demo finished before the signal landed
        assert proc.returncode == 0 and "finished in" in at.success[0].value, _texts(at)


# -- reconcile & rollback --------------------------------------------------------------------------------------------
def test_reconcile_agrees_and_exports_the_audit(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_loaded")
    at = _page("reconcile")
    assert "press **Reconcile now**" in _texts(at)
    at.button(key="reconcile_now").click().run()
    assert not at.exception, at.exception
    assert "Reconcile OK" in at.success[0].value, _texts(at)
    loaded = _ledger_scalar(ws, "SELECT COUNT(*) FROM records WHERE state = 'loaded'")
    assert _metrics(at)["Loaded (ledger)"] == f"{loaded:,}" == _metrics(at)["In the destination"]
    figures = at.dataframe[0].value
    missing = int(figures["Rejected"].sum() + figures["Pending/failed"].sum())
    assert (f"{missing:,} source record(s) are not in the destination" in _texts(at)) == bool(missing)
    at.button(key="export_audit_btn").click().run()
    events = _ledger_scalar(ws, "SELECT COUNT(*) FROM events")
    assert (ws.reports_dir / "audit.csv").read_text(encoding="utf-8").count("\n") == events + 1
    assert f"({events:,} rows)" in at.get("download_button")[0].proto.label


def test_rollback_previews_then_needs_the_checkbox(use) -> None:  # type: ignore[no-untyped-def]
    ws = use("demo_loaded")
    live = ("SELECT COUNT(*) FROM records WHERE created_run = (SELECT MAX(id) FROM runs WHERE kind = 'full') "
            "AND dest_id IS NOT NULL AND state != 'deleted'")
    created = _ledger_scalar(ws, live)
    at = _page("reconcile")
    at.button(key="rollback_preview").click().run()
    assert not at.exception, at.exception
    assert f"Would delete {created:,} record(s)" in _texts(at)
    assert at.button(key="rollback_do").disabled
    assert _ledger_scalar(ws, live) == created  # a preview changes nothing
    at.checkbox(key="rollback_understood").check().run()
    at.button(key="rollback_do").click().run()
    assert not at.exception, at.exception
    assert f"Did delete {created:,} record(s)" in at.success[0].value
    assert _ledger_scalar(ws, live) == 0


# -- workspaces that are not ready, and a destination that is down ---------------------------------------------------
@pytest.mark.parametrize("page", ["plan", "check", "sample", "run", "reconcile"])
def test_no_map_yet_says_what_to_do(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": str(tmp_path)}, {"kind": "odoo", "url": "local"})
    monkeypatch.setenv("BRIDGEWORK_WORKSPACE", str(ws.root))
    at = _page(page)
    assert "Run bridgework propose first" in at.info[0].value


@pytest.mark.parametrize("page", ["plan", "check", "sample", "run", "reconcile"])
def test_no_workspace_is_one_line(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIDGEWORK_WORKSPACE", raising=False)
    at = _page(page)
    assert "bridgework review --workspace" in at.error[0].value


@pytest.mark.parametrize("page", ["plan", "run"])
def test_destination_down_is_one_readable_line(page: str, use, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from connectors.emulators.odoo import LOCAL_CREDENTIALS

    for name, value in LOCAL_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    ws = use("demo_planned")
    ws.settings.destination.url = f"http://127.0.0.1:{free_port()}"
    ws.save_settings()
    at = _page(page)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "did not answer" in message and "\n" not in message and "Traceback" not in message
