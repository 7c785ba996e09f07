"""The demo: a generated practice into a local destination emulator, every step of a real migration in turn.

The one shortcut is said out loud: proposals at or above the calibrated threshold are
accepted, then the demo plays the reviewer and accepts the proposer's top choice for the rest.
A real migration is reviewed by a person first.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from executor.workspace import Workspace
from mapper.errors import ConfigError

if TYPE_CHECKING:
    from executor.owners import OwnerReport
    from executor.session import Session

Say = Callable[[str], None]
DEMO_SEED = 7
DEMO_SITES = 2


def _fresh_workspace(root: Path, dest: str, patients: int) -> Workspace:
    """A new demo workspace (an old demo workspace in the same folder is replaced; nothing else ever is)."""
    if (root / "bridgework.toml").exists():
        old = Workspace.find(root)
        if old.settings.source.kind != "demo":
            raise ConfigError(f"{root} holds a real migration workspace; the demo will not touch it.",
                              hint="Pick another folder: bridgework demo --workspace demo-workspace")
        shutil.rmtree(root)
    elif root.exists() and any(root.iterdir()):
        raise ConfigError(f"{root} is not empty and not a demo workspace.", hint="Pick a new folder with --workspace.")
    source = {"kind": "demo", "path": "source/practice.db", "patients": patients, "sites": DEMO_SITES, "seed": DEMO_SEED}
    return Workspace.create(root, source, {"kind": dest, "url": "local"})


def prepare(root: Path, *, dest: str, patients: int, say: Say) -> tuple[Workspace, float]:
    """Generate, introspect, describe, propose and auto-confirm; the workspace and the threshold used."""
    from connectors.sources.demo import generate_practice
    from mapper.plan import fill_required, fold_links
    from mapper.propose import load_calibration, propose
    from mapper.spec import confirm, now_utc, reject, schema_hash

    ws = _fresh_workspace(root, dest, patients)
    generate_practice(ws.root / "source" / "practice.db", patients=patients, sites=DEMO_SITES, seed=DEMO_SEED)
    say(f"Generated a demo practice of {patients:,} patients ({DEMO_SITES} sites) in {ws.root}.")
    source = ws.open_source()
    destination = ws.open_destination()
    try:
        seeded = _seed_staff_logins(ws, dest, source)
        if seeded:
            say(f"Gave {seeded} of the practice's providers a login in the {dest} emulator before the migration "
                "(staff usually have CRM logins already); owner resolution matches providers to them by email.")
        src_schema = source.introspect(profile=True)
        dst_schema = destination.describe()
    finally:
        source.close()
        destination.close()
    src_schema.save(ws.source_schema_path)
    dst_schema.save(ws.destination_schema_path)
    spec = propose(src_schema, dst_schema, destination_kind=dest)
    filled = fill_required(spec, src_schema, dst_schema, kind=dest) + fold_links(spec, src_schema)
    if filled:
        say(f"Proposed {len(filled)} fill(s) for required/link fields the match left empty (reasons in mapping.yaml): "
            + "; ".join(filled) + ".")
    spec.source_schema_hash, spec.destination_schema_hash = schema_hash(src_schema), schema_hash(dst_schema)
    threshold = load_calibration().auto_accept
    auto = len(confirm(spec, min_score=threshold, by="bridgework demo", at=now_utc()).changed)
    reviewer = "bridgework demo (playing the reviewer)"
    played = len(confirm(spec, min_score=0.0, by=reviewer, at=now_utc()).changed)
    reject(spec, max_score=1.01, by=reviewer, at=now_utc(), reason="no usable proposal (demo)")
    _one_writer_per_field(spec)
    spec.save(ws.mapping_path)
    say(f"Proposed a mapping: AUTO-CONFIRMED {auto} proposal(s) scoring >= {threshold:.2f} (the calibrated "
        f"threshold), then PLAYED THE REVIEWER and accepted the proposer's top choice for the other {played}. "
        "A real migration is reviewed by a person: bridgework review.")
    return ws, threshold


SEEDED_LOGINS = 4
"""Providers with an email given a destination login by the demo; the others show as unassigned."""


def _seed_staff_logins(ws: Workspace, dest: str, source: Any) -> int:
    """Destination users for the first SEEDED_LOGINS providers with an email, where the emulator can add users."""
    import httpx

    from connectors.registry import local_url
    from executor.staging import read_all

    providers = sorted((str(r.get("rscid") or "").strip(), r) for r in read_all(source, "rsc")
                       if str(r.get("emailaddr") or "").strip())
    users = [{"name": f"{str(r.get('firstname') or '').strip()} {str(r.get('lastname') or '').strip()}".strip(),
              "email": str(r["emailaddr"]).strip()} for _, r in providers[:SEEDED_LOGINS]]
    if not users:
        return 0
    response = httpx.post(f"{local_url(dest, ws.root)}/_emulator/users", json={"users": users}, timeout=30)
    if response.status_code == 404:  # this emulator cannot add users: every provider stays unassigned
        return 0
    response.raise_for_status()
    made = response.json()  # login -> user id; any other answer: the emulator has no such route
    if not isinstance(made, dict) or not all(u["email"].lower() in made for u in users):
        return 0
    return len(users)


def _one_writer_per_field(spec: Any) -> None:
    """Where auto-confirming left two field maps writing one field, keep the best scoring (demo only)."""
    from mapper.spec import Decision, now_utc

    for em in spec.entities:
        best: dict[str, Any] = {}
        for fm in em.fields:
            if fm.status != "confirmed" or fm.kind == "skip" or not fm.target_name:
                continue
            keep = best.get(fm.target_name)
            if keep is None or fm.score > keep.score:
                if keep is not None:
                    keep.decision = Decision(status="rejected", by="bridgework demo", at=now_utc(),
                                             reason="another field map writes this field (demo)")
                best[fm.target_name] = fm
            else:
                fm.decision = Decision(status="rejected", by="bridgework demo", at=now_utc(),
                                       reason="another field map writes this field (demo)")


def _placeholder_text(placeholder: str | None) -> str:
    if placeholder:
        return f"their records go to the connecting user, id {placeholder}, as \"Unassigned Provider\""
    return "their records keep the destination's default owner"


_FAILING_SHARE = 0.2


def _drop_failing_fields(session: Any, report: Any) -> int:
    """Reject field maps (not relations) that reject more than _FAILING_SHARE of their entity map's records."""
    from mapper.spec import Decision, now_utc

    counts: dict[tuple[str, str], int] = {}
    for f in report.findings:
        if f.severity == "error" and f.field and f.code != "unresolved_reference":
            counts[(f.map_id, f.field)] = counts.get((f.map_id, f.field), 0) + 1
    dropped = 0
    for em in session.spec.entities:
        total = report.records.get(em.id, 0)
        for fm in em.fields:
            n = counts.get((em.id, fm.target_name or ""), 0)
            if total and fm.status == "confirmed" and fm.kind != "relation" and n / total > _FAILING_SHARE:
                fm.decision = Decision(status="rejected", by="bridgework demo", at=now_utc(),
                                       reason=f"its transforms refused {n} of {total} records (demo)")
                dropped += 1
    return dropped


def _drop_refused_maps(session: Any, sample_run: int) -> list[str]:
    """Reject entity maps the destination refused for every sampled record, and the relations that use them."""
    from mapper.spec import Decision, now_utc

    rows = session.ledger.query(
        "SELECT map_id, SUM(state IN ('loaded', 'deleted')) AS ok, "
        "SUM(state = 'rejected' AND COALESCE(error_code, '') != 'unresolved_reference') AS refused, COUNT(*) AS total "
        "FROM records WHERE run_id = ? GROUP BY map_id", (sample_run,))
    refused = sorted(r["map_id"] for r in rows if not r["ok"] and r["refused"] * 2 > r["total"])
    for em in session.spec.entities:
        if em.id in refused:
            em.decision = Decision(status="rejected", by="bridgework demo", at=now_utc(),
                                   reason="the destination refused every sampled record (demo)")
        for fm in em.fields:
            if fm.kind == "relation" and fm.lookup in refused and fm.status == "confirmed":
                fm.decision = Decision(status="rejected", by="bridgework demo", at=now_utc(),
                                       reason=f"{fm.lookup} does not load (demo)")
    return refused


def settle(s: Session, threshold: float, say: Say) -> OwnerReport:
    """Everything the demo does before the load: apply the schema plan, validate, reject the field maps whose
    transforms refuse most records, decide duplicate groups, resolve owners, sample and reject the entity maps the
    destination refuses outright (the shortcuts are demo only and said so). The owner resolution."""
    from executor.dedupe import decide
    from executor.owners import resolve_owners
    from executor.rollback import rollback
    from executor.sample import sample
    from executor.schema_apply import apply_plan, plan_changes
    from executor.validate import validate

    view = plan_changes(s.spec, s.destination.describe(), s.ws.settings.destination.kind, s.ledger,
                        s.destination.capabilities)
    apply_plan(view, s.destination, s.ledger)
    s.destination_schema = s.destination.describe()
    s.destination_schema.save(s.ws.destination_schema_path)
    say(f"Schema plan: created {len(view.pending)} custom field(s)/object(s).")
    report = validate(s)
    dropped = _drop_failing_fields(s, report)
    if dropped:
        s.spec.save(s.ws.mapping_path)
        report = validate(s)
        say(f"Rejected {dropped} confirmed field map(s) whose transforms refused more than "
            f"{_FAILING_SHARE:.0%} of their records (demo only; a person would fill their value maps in the review app instead).")
    merged = decide(s.ledger, None, "confirmed", min_score=threshold)
    decide(s.ledger, None, "split")
    owners = resolve_owners(s)
    say(f"Validated: {sum(report.rejected.values()):,} record(s) with problems (correction report {report.csv_path}); "
        f"{report.duplicate_groups} duplicate group(s), {merged} merged automatically at >= {threshold:.2f} (demo only); "
        f"{owners.matched} provider(s) matched to users, {len(owners.unassigned)} unassigned "
        f"({_placeholder_text(owners.placeholder)}; owner report {owners.csv_path}).")
    refused: list[str] = []
    for _ in range(3):  # sample; drop what the destination refuses outright (demo only); sample again
        trial = sample(s, 10)
        rollback(s, trial.run.run_id)
        more = _drop_refused_maps(s, trial.run.run_id)
        if not more:
            break
        refused += more
        s.spec.save(s.ws.mapping_path)
    if refused:
        say(f"Rejected {len(refused)} entity map(s) the destination refused for every sampled record "
            f"(demo only; a person would fix their required fields): {', '.join(refused)}.")
    silent = sum(len(d.silent_changes) for d in trial.diffs)
    say(f"Sample: {len(trial.diffs)} record(s) read back, {silent} silent change(s) flagged; rolled back.")
    return owners


def run_demo(root: Path, *, dest: str = "odoo", patients: int = 200, say: Say = print) -> dict[str, Any]:
    """The whole pipeline; the summary the --json output prints."""
    from executor.reconcile import reconcile
    from executor.run import execute
    from executor.session import Session

    started = time.perf_counter()
    ws, threshold = prepare(root, dest=dest, patients=patients, say=say)
    with Session.open(ws) as s:
        owners = settle(s, threshold, say)
        run = execute(s, "full")
        rec = reconcile(s)
        objects = {m: {"source": r.source, "loaded": r.loaded, "skipped": r.skipped, "rejected": r.rejected,
                       "destination": r.destination} for m, r in rec.maps.items()}
        duplicates = int(s.ledger.scalar(
            "SELECT COUNT(*) FROM (SELECT map_id, dest_id FROM records WHERE state = 'loaded' "
            "GROUP BY map_id, dest_id HAVING COUNT(*) > 1)") or 0)
    elapsed = round(time.perf_counter() - started, 1)
    t = run.totals()
    say(f"Loaded {t.created + t.updated:,} record(s) in {run.elapsed_s:.1f} s; {t.skipped:,} skipped by the map, "
        f"{t.rejected:,} rejected (see the correction report). Reconcile: {'OK' if rec.ok else 'differences found'}.")
    if run.manifest is not None:
        say(f"Documents/imaging: {run.manifest.loaded} of {run.manifest.rows} file reference(s) loaded as records "
            f"attached to their patient; the files themselves stay in the source system (imaging manifest "
            f"{run.manifest.path}).")
    say(f"Open the review app: bridgework review -w {ws.root}")
    return {"dest": dest, "objects": objects, "duplicates": duplicates, "elapsed_s": elapsed,
            "reconcile_ok": rec.ok, "auto_confirm_threshold": threshold,
            "owners": {"matched": owners.matched, "unassigned": len(owners.unassigned), "report": owners.csv_path},
            "manifest": None if run.manifest is None else {"path": str(run.manifest.path), "rows": run.manifest.rows,
                                                           "loaded": run.manifest.loaded}}
