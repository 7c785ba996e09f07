"""plan, validate, sample, run, delta, reconcile, rollback, audit, status, demo: the executor's commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from executor.session import Session
from executor.workspace import Workspace
from mapper.errors import BridgeworkError
from ui._app import JsonOption, WorkspaceOption, command, console, print_json

ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite / remove records edited in the destination after bridgework wrote them.")]


@contextmanager
def _session(workspace: Path | None, exclusive: bool = True) -> Iterator[Session]:
    ws = Workspace.find(workspace)
    session = Session.open(ws, exclusive=exclusive)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def _bars(session: Session, quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Rich progress bars per entity map: records, records/s, ETA, errors."""
    if quiet:
        yield None
        return
    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
               TextColumn("[red]{task.fields[errors]} errors"))
    tasks: dict[str, Any] = {}
    with Progress(*columns, console=console, transient=False) as progress:
        def update(map_id: str, done: int, errors: int) -> None:
            if map_id not in tasks:
                em = session.spec.entity_map(map_id)
                total = session.source.count(em.source)
                tasks[map_id] = progress.add_task(map_id, total=total, rate="", errors=0)
            task = tasks[map_id]
            progress.advance(task, done)
            speed = progress.tasks[task].speed
            progress.update(task, errors=errors, rate=f"{speed:,.0f} rec/s" if speed else "")
        yield update


def _stats_table(title: str, maps: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("Entity map", "Created", "Updated", "Unchanged", "Skipped", "Rejected", "Failed", "Conflicts"):
        table.add_column(col, justify="right" if col != "Entity map" else "left")
    for map_id, s in maps.items():
        table.add_row(map_id, *(f"{getattr(s, n):,}" for n in ("created", "updated", "unchanged", "skipped", "rejected",
                                                               "failed", "conflicts")))
    return table


def _run_json(report: Any) -> dict[str, Any]:
    return {"run": report.run_id, "kind": report.kind, "resumed": report.resumed, "elapsed_s": round(report.elapsed_s, 2),
            "maps": {m: {k: v for k, v in vars(s).items()} for m, s in report.maps.items()},
            "deleted_in_source": {m: len(ids) for m, ids in report.deleted_in_source.items()},
            **({"remapped": report.remapped, "notes": report.notes} if report.kind == "delta" else {})}


@command()
def plan(workspace: WorkspaceOption = None, apply: Annotated[bool, typer.Option("--apply", help="Create the changes in the destination.")] = False,
         json_out: JsonOption = False) -> None:
    """The custom fields/objects the map needs (tier limits warned); --apply creates them, recorded for rollback."""
    from executor.schema_apply import apply_plan, plan_changes

    with _session(workspace) as s:
        view = plan_changes(s.spec, s.destination.describe(), s.ws.settings.destination.kind, s.ledger,
                            s.destination.capabilities)
        made: list[str] = []
        if apply and view.pending:
            _, made = apply_plan(view, s.destination, s.ledger)
            s.destination.describe().save(s.ws.destination_schema_path)
    if json_out:
        print_json({"pending": [c.key for c in view.pending], "applied": view.applied + made, "warnings": view.warnings})
        return
    from mapper.plan import format_plan

    if view.pending:
        console.print(format_plan(view.plan))
    if made:
        console.print(f"[green]Created {len(made)} change(s)[/], recorded in the ledger (bridgework rollback --schema removes them).")
    for w in view.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if not view.pending:
        console.print(f"Schema plan: nothing to create ({len(view.applied)} change(s) already applied).")
    elif not apply:
        console.print(f"Next: bridgework plan --apply -w {workspace or '.'}")


@command()
def validate(
    workspace: WorkspaceOption = None,
    json_out: JsonOption = False,
    confirm_merge: Annotated[list[str], typer.Option("--confirm-merge", help="Confirm a duplicate group (merge it).")] = [],
    split: Annotated[list[str], typer.Option("--split", help="Split a duplicate group (keep its records apart).")] = [],
    confirm_all_merges: Annotated[float | None, typer.Option("--confirm-all-merges", help="Confirm every group scoring at least this.")] = None,
    split_all: Annotated[bool, typer.Option("--split-all", help="Split every open group.")] = False,
) -> None:
    """Every record through the real transforms and the destination's rules: correction report, audit, dedupe, owners."""
    from executor.dedupe import decide, groups
    from executor.owners import resolve_owners
    from executor.validate import validate as run_validate

    with _session(workspace) as s:
        report = run_validate(s)
        decided = sum(decide(s.ledger, g, "confirmed") for g in confirm_merge) + sum(decide(s.ledger, g, "split") for g in split)
        if confirm_all_merges is not None:
            decided += decide(s.ledger, None, "confirmed", min_score=confirm_all_merges)
        if split_all:
            decided += decide(s.ledger, None, "split")
        if decided and not json_out:
            console.print(f"Recorded {decided} duplicate decision(s).")
        owners = resolve_owners(s)
        open_groups = groups(s.ledger, "proposed")
    if json_out:
        print_json({"maps": {m: {"records": report.records[m], "ready": report.ready[m], "skipped": report.skipped[m],
                                 "rejected": report.rejected[m]} for m in report.records},
                    "problems": report.by_code(), "audit": report.audit, "report": str(report.csv_path),
                    "duplicate_groups": [{"group": g["group_id"], "members": g["members"], "score": g["score"],
                                          "evidence": g["evidence"]} for g in open_groups],
                    "owners": {"matched": owners.matched, "unassigned": len(owners.unassigned)}})
        return
    table = Table(title="Validation", title_justify="left")
    for col in ("Entity map", "Records", "Ready", "Skipped", "Rejected"):
        table.add_column(col, justify="left" if col == "Entity map" else "right")
    for m in report.records:
        table.add_row(m, f"{report.records[m]:,}", f"{report.ready[m]:,}", f"{report.skipped[m]:,}", f"{report.rejected[m]:,}")
    console.print(table)
    for code, n in list(report.by_code().items())[:10]:
        console.print(f"  {code}: {n:,}")
    console.print("Data audit: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in report.audit.items()))
    console.print(f"Owners: {owners.matched} matched, {len(owners.unassigned)} to \"Unassigned Provider\".")
    for g in open_groups[:10]:
        console.print(f"  duplicate group {g['group_id']}: {len(g['members'])} records, score {g['score']:.2f} ({'; '.join(g['evidence'])})")
    console.print(f"Correction report (values masked): {report.csv_path}")
    if open_groups:
        console.print(f"Next: decide {len(open_groups)} group(s): bridgework validate --confirm-merge GROUP / --split GROUP -w {workspace or '.'}")


@command(name="run")
def run_cmd(workspace: WorkspaceOption = None, json_out: JsonOption = False, force: ForceOption = False) -> None:
    """Load everything in dependency order; resumes after an interruption, never duplicates."""
    from executor.preflight import preflight
    from executor.run import execute
    from executor.templates import learn_confirmed_map

    with _session(workspace) as s:
        preflight(s)
        learn_confirmed_map(s)
        with _bars(s, json_out) as progress:
            report = execute(s, "full", force=force, progress=progress)
    if json_out:
        print_json(_run_json(report))
        return
    console.print(_stats_table(f"Run {report.run_id}{' (resumed)' if report.resumed else ''}: {report.elapsed_s:.1f} s", report.maps))
    if report.manifest is not None:
        console.print(f"Documents/imaging: {report.manifest.loaded} of {report.manifest.rows} file reference(s) loaded, "
                      f"attached to their patient; the files stay in the source system: {report.manifest.path}")
    console.print(f"Next: bridgework reconcile -w {workspace or '.'}")


@command()
def delta(workspace: WorkspaceOption = None, json_out: JsonOption = False, force: ForceOption = False,
          propagate_deletes: Annotated[bool, typer.Option("--propagate-deletes", help="Delete in the destination what the source deleted.")] = False) -> None:
    """Load what changed since the last run, retry the queue, leave destination edits alone unless --force."""
    from executor.delta import delta as run_delta
    from executor.preflight import preflight

    with _session(workspace) as s:
        preflight(s)
        with _bars(s, json_out) as progress:
            report = run_delta(s, force=force, propagate_deletes=propagate_deletes, progress=progress)
    if json_out:
        print_json(_run_json(report))
        return
    console.print(_stats_table(f"Delta {report.run_id}: {report.elapsed_s:.1f} s", report.maps))
    for note in report.notes:
        console.print(note[0].upper() + note[1:] + ".")
    gone = {m: len(ids) for m, ids in report.deleted_in_source.items() if ids}
    if gone:
        verb = "deleted in the destination" if propagate_deletes else "left in the destination (--propagate-deletes removes them)"
        console.print("Deleted in the source: " + ", ".join(f"{m} {n}" for m, n in gone.items()) + f"; {verb}.")


@command()
def sample(
    workspace: WorkspaceOption = None,
    n: Annotated[int, typer.Option("--n", help="Records of the main entity (their related records come along).")] = 100,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the sample in the destination.")] = False,
    rollback: Annotated[bool, typer.Option("--rollback", help="Remove the sample afterwards without asking.")] = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Show values unmasked on this terminal (never in files).")] = False,
    json_out: JsonOption = False,
) -> None:
    """Load a sample with its dependencies, read it back and show a field-level diff with silent changes flagged."""
    from executor.preflight import preflight
    from executor.rollback import rollback as run_rollback
    from executor.sample import sample as run_sample
    from mapper.profile import mask

    with _session(workspace) as s:
        preflight(s)
        result = run_sample(s, n)
        silent = [(d, f) for d in result.diffs for f in d.silent_changes]
        if json_out:
            print_json({"run": result.run.run_id, "selected": result.selected, "records": len(result.diffs),
                        "silent_changes": [{"map": d.map_id, "source_id": d.source_id, "field": f.field, "change": f.change}
                                           for d, f in silent]})
        else:
            show = (lambda v: "" if v is None else str(v)) if reveal else (lambda v: "" if v is None else mask(v))
            for d in result.diffs[:20]:
                table = Table(title=f"{d.map_id} {d.source_id} -> {d.destination_id}", title_justify="left")
                for col in ("Field", "Source", "Sent", "Stored", "Change"):
                    table.add_column(col, overflow="fold")
                for f in d.fields:
                    style = "red" if f.change in ("truncated", "dropped", "changed") else "yellow" if f.change == "case" else ""
                    table.add_row(f.field, show(f.source), show(f.sent), show(f.stored), f"[{style}]{f.change}[/]" if style else f.change)
                console.print(table)
            console.print(f"Sample run {result.run.run_id}: {len(result.diffs)} records read back, {len(silent)} silent change(s).")
        # --json cannot ask: without --keep the sample is rolled back (the safe choice)
        if rollback or (not keep and (json_out or typer.confirm("Roll the sample back now?", default=True))):
            run_rollback(s, result.run.run_id)
            if not json_out:
                console.print("Sample rolled back.")


@command()
def reconcile(workspace: WorkspaceOption = None, json_out: JsonOption = False,
              sample_size: Annotated[int, typer.Option("--sample", help="Records per map compared field by field.")] = 20) -> None:
    """Source vs ledger vs destination (read back by external id), money totals and a field sample; exit 1 when off."""
    from executor.reconcile import reconcile as run_reconcile

    with _session(workspace, exclusive=False) as s:
        report = run_reconcile(s, sample=sample_size)
    if json_out:
        print_json({"ok": report.ok, "maps": {m: {**vars(r), "ok": r.ok} for m, r in report.maps.items()},
                    "ar": report.ar.as_dict() if report.ar is not None else None})
    else:
        table = Table(title="Reconcile", title_justify="left")
        for col in ("Entity map", "Source", "Loaded", "Skipped", "Rejected", "Destination", "Result"):
            table.add_column(col, justify="left" if col in ("Entity map", "Result") else "right")
        for m, r in report.maps.items():
            table.add_row(m, f"{r.source:,}", f"{r.loaded:,}", f"{r.skipped:,}", f"{r.rejected:,}", f"{r.destination:,}",
                          "[green]OK[/]" if r.ok else "[red]" + "; ".join(r.problems) + "[/]")
        console.print(table)
        if report.ar is not None:
            console.print(_ar_table(report.ar.as_dict()))
        console.print("[green]Reconcile OK[/]" if report.ok else "[red]Reconcile found differences.[/]")
    if not report.ok:
        raise typer.Exit(1)


def _ar_table(ar: dict[str, Any]) -> Table:
    """A/R totals: source, loaded (read back) and skipped/rejected; families out of tolerance and notes below."""
    table = Table(title=f"A/R per family (aged at {ar['as_of']})", title_justify="left", caption_justify="left",
                  caption="\n".join([f"{ar['families_off']} of {ar['families']} families out of tolerance ({ar['tolerance']}).",
                                      *(f"[red]{p}[/]" for p in ar["problems"]), *ar["notes"]]))
    sides = {"Source": ar["source"], "Loaded": ar["loaded"] or {}, **({"Skipped/rejected": ar["not_loaded"]} if ar["not_loaded"] else {})}
    table.add_column("Figure")
    for col in sides:
        table.add_column(col, justify="right")
    for name in ("charges", "payments", "adjustments", "insurance_paid", "balance", "open_insurance"):
        table.add_row(name.replace("_", " ").capitalize(), *(side.get(name, "-") for side in sides.values()))
    for bucket in ar["source"]["aging"]:
        table.add_row(f"Aging {bucket} days", *(side.get("aging", {}).get(bucket, "-") for side in sides.values()))
    if ar["stated_balance"] is not None:
        table.add_row("Balance the practice states", ar["stated_balance"], *([""] * (len(sides) - 1)))
    return table


@command(name="rollback")
def rollback_cmd(
    workspace: WorkspaceOption = None,
    run: Annotated[int | None, typer.Option("--run", help="Run to undo (default: the newest with records left).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be undone.")] = False,
    force: ForceOption = False,
    schema: Annotated[bool, typer.Option("--schema", help="Also remove the custom fields/objects bridgework created.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Delete what a run created (hard delete) and restore what it updated; skips destination edits unless --force."""
    from executor.rollback import rollback as run_rollback

    with _session(workspace) as s:
        report = run_rollback(s, run, dry_run=dry_run, force=force, schema=schema)
    data = {"run": report.target_run, "dry_run": dry_run, "deleted": report.deleted, "restored": report.restored,
            "skipped_edited": report.edited_skipped, "already_gone": report.already_gone,
            "schema_reverted": report.schema_reverted}
    if json_out:
        print_json(data)
        return
    verb = "Would" if dry_run else "Did"
    if report.target_run == 0:
        console.print(f"No records left to remove; {report.schema_reverted} schema change(s) "
                      f"{'to remove' if dry_run else 'removed'}.")
        return
    console.print(f"{verb} delete {sum(report.deleted.values()):,}, restore {sum(report.restored.values()):,} "
                  f"record(s) of run {report.target_run}; {report.skipped_total:,} edited in the destination "
                  f"{'left alone (--force to include)' if not force else 'included'}"
                  + (f"; {report.schema_reverted} schema change(s) {'to remove' if dry_run else 'removed'}" if schema else "") + ".")


@command()
def audit(workspace: WorkspaceOption = None,
          csv_path: Annotated[Path, typer.Option("--csv", help="File to write.")] = Path("audit.csv"),
          run: Annotated[int | None, typer.Option("--run", help="Only this run.")] = None) -> None:
    """One CSV row per record action: source id, destination id, object, action, time, operator, run (no values)."""
    from executor.audit import export_audit
    from executor.ledger import open_ledger

    ws = Workspace.find(workspace)
    ledger = open_ledger(ws.ledger_path, ws.operator)
    try:
        rows = export_audit(ledger, csv_path, run)
    finally:
        ledger.close()
    console.print(f"Wrote {rows:,} audit row(s) to {csv_path}.")


@command()
def status(workspace: WorkspaceOption = None, json_out: JsonOption = False) -> None:
    """Counts per entity map by state, runs, throughput, errors, retry queue and what to do next."""
    from executor.ledger import open_ledger
    from executor.status import status as read_status

    ws = Workspace.find(workspace)
    ledger = open_ledger(ws.ledger_path, ws.operator)
    try:
        st = read_status(ledger, str(workspace or "."))
    finally:
        ledger.close()
    if json_out:
        print_json(st.as_dict())
        return
    states = sorted({k for v in st.maps.values() for k in v})
    table = Table(title="Status", title_justify="left")
    table.add_column("Entity map")
    for state in states:
        table.add_column(state, justify="right")
    for m, counts in st.maps.items():
        table.add_row(m, *(f"{counts.get(k, 0):,}" for k in states))
    console.print(table)
    if st.last_run:
        console.print(f"Last run {st.last_run['id']} ({st.last_run['kind']}, {st.last_run['status']})"
                      + (f", {st.throughput:,.0f} records/s" if st.throughput else ""))
    for code, n in st.errors.items():
        console.print(f"  {code}: {n:,}")
    console.print(f"Retry queue: {st.retry_queue:,}. Next: {st.next_step}")


@command()
def demo(
    workspace: WorkspaceOption = None,
    dest: Annotated[str, typer.Option("--dest", help="Destination emulator: odoo, twenty, salesforce or dynamics.")] = "odoo",
    patients: Annotated[int, typer.Option(help="Demo practice size.")] = 200,
    json_out: JsonOption = False,
) -> None:
    """The whole pipeline on a generated practice into a local emulator, then a short report."""
    from executor.demo import run_demo

    result = run_demo(workspace or Path("demo-workspace"), dest=dest, patients=patients,
                      say=(lambda _: None) if json_out else console.print)
    if json_out:
        print_json(result)
    if not isinstance(result, dict):
        raise BridgeworkError("The demo did not finish.", hint="Run it again with BRIDGEWORK_DEBUG=1.")
