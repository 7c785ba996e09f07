"""Executor benchmark: local stage speed and memory (10k vs 100k patients), load speed into the Odoo emulator.

Each figure sits next to a naive baseline measured in the same run, each run in a fresh process:
chains run step by step with nothing remembered (speed), each entity materialised in a list
first (memory), one source query per record, one record per load call.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench._report import BenchReport, peak_rss_mb, run_isolated

SIZES = tuple(int(n) for n in os.environ.get("BRIDGEWORK_BENCH_EXECUTOR_SIZES", "10000,100000").split(","))
LOAD_RECORDS = 3_000
_FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "e2e" / "mapping_odoo.yaml"
_NOTES = {
    "id": "notes", "source": "clinicalnote", "target": "crm.lead", "key": "cnotesid",
    "constants": {"name": "Clinical note", "type": "lead"}, "decision": {"status": "confirmed", "by": "bench"},
    "fields": [
        {"source": "patid", "target": "partner_id", "kind": "relation", "lookup": "patients",
         "decision": {"status": "confirmed", "by": "bench"}},
        {"source": "notetext", "target": "description", "transforms": [{"name": "trim"}],
         "decision": {"status": "confirmed", "by": "bench"}},
    ],
}


def bench_spec() -> Any:
    """The e2e test map plus clinical notes: patients, appointments, procedures/ledger, notes."""
    import yaml

    from mapper.spec import MappingSpec

    data = yaml.safe_load(_FIXTURE.read_text())
    data["entities"].append(_NOTES)
    return MappingSpec.model_validate(data)


def _practice(patients: int, folder: Path) -> Path:
    from connectors.sources.demo import generate_practice

    path = folder / f"practice-{patients}.db"
    if not path.exists():
        generate_practice(path, patients=patients, sites=2, seed=7)
    return path


def _odoo_schema() -> Any:
    from connectors.emulators.odoo import LOCAL_CREDENTIALS, create_app
    from connectors.emulators.serve import serving
    from connectors.registry import open_destination

    os.environ.update(LOCAL_CREDENTIALS)
    with serving(create_app(None)) as server:
        dest = open_destination("odoo", {"url": server.url}, Path(tempfile.gettempdir()))
        try:
            return dest.describe()
        finally:
            dest.close()


LOCAL_STAGE = ("extract (paged SQLite reads) + transform (every field map's chain) + validate (relations against what "
               "would load, destination constraints, correction rows; no content hash: the ledger's, taken when `run` "
               "stages, validation never reads): executor.validate.check_map over "
               "every entity map; not included: dedupe scan, shared-value pass, CSV")


def stage(practice: str, materialise: bool = False, naive: bool = False, extract_only: bool = False) -> dict[str, float]:
    """The local stage of every entity map of the bench map, as `bridgework validate` runs it (in a fresh process).

    `materialise`: each entity read into a list first (the memory baseline). `naive`: transform chains
    run step by step on every record and constraints checked field by field (no compiled plan, nothing
    remembered; the speed baseline). `extract_only`: the source reads alone.
    """
    from connectors.sources.dentrix import from_settings
    from executor.staging import Stager, entity_order, read_all
    from executor.validate import ValidationReport, check_map

    if naive:
        _naive_staging()
    spec = bench_spec()
    schema = _odoo_schema()
    source = from_settings({"kind": "dentrix", "path": practice}, Path(practice).parent)
    src_schema = source.introspect(profile=False)
    ready: dict[str, dict[str, str]] = {}
    report = ValidationReport()
    stager = Stager(spec, "dentrix", src_schema, schema, lambda map_id: ready.get(map_id, {}),
                    reader=lambda entity: read_all(source, entity), hashes=naive)
    records = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for em in entity_order(spec):
        rows: Iterable[Mapping[str, Any]] = read_all(source, em.source)
        if materialise:
            rows = list(rows)
        if extract_only:
            records += sum(1 for _ in rows)
        else:
            check_map(stager, em, rows, report, ready)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    source.close()
    records = records or sum(report.records.values())
    return {"records": records, "per_s": records / wall, "cpu_s": cpu, "wall_s": wall, "rss_mb": peak_rss_mb(),
            "findings": len(report.findings)}


FULL_MAP_PATIENTS = int(os.environ.get("BRIDGEWORK_BENCH_FULL_MAP_PATIENTS", "100000"))


def prepare_full_map(root: str, patients: int) -> str:
    """A demo workspace as the demo loads it (generated practice, the proposer's whole map for Odoo, demo-confirmed,
    everything executor.demo.settle does before the load); its folder."""
    from executor.demo import prepare, settle
    from executor.session import Session

    ws, threshold = prepare(Path(root), dest="odoo", patients=patients, say=lambda _msg: None)
    with Session.open(ws) as s:
        settle(s, threshold, say=lambda _msg: None)
    return str(ws.root)


def stage_full_map(ws_root: str, naive: bool = False, hashes: bool = False) -> dict[str, float]:
    """The local stage over a demo workspace's full proposed map (every confirmed field, phone/email/date chains)."""
    from connectors.sources.dentrix import from_settings
    from executor.staging import Stager, entity_order, read_all
    from executor.validate import ValidationReport, check_map
    from mapper.schema import Schema
    from mapper.spec import MappingSpec

    if naive:
        _naive_staging()
    root = Path(ws_root)
    spec = MappingSpec.load(root / "mapping.yaml")
    dest = Schema.load(root / "destination_schema.json")
    source = from_settings({"kind": "dentrix", "path": str(root / "source" / "practice.db")}, root)
    src_schema = source.introspect(profile=False)
    ready: dict[str, dict[str, str]] = {}
    report = ValidationReport()
    stager = Stager(spec, "dentrix", src_schema, dest, lambda map_id: ready.get(map_id, {}),
                    reader=lambda entity: read_all(source, entity), hashes=naive or hashes)
    wall, cpu = time.perf_counter(), time.process_time()
    fields = 0
    for em in entity_order(spec):
        if em.kind == "skip" or em.status == "rejected":
            continue
        fields += sum(1 for fm in em.fields if fm.status == "confirmed" and fm.kind != "skip")
        check_map(stager, em, read_all(source, em.source), report, ready)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    source.close()
    records = sum(report.records.values())
    return {"records": records, "per_s": records / wall, "cpu_s": cpu, "wall_s": wall, "fields": fields}


def _naive_staging() -> None:
    """Swap the compiled forms for the step-by-step ones (this process only): records staged field by field
    (Stager._one), every chain runs every step on every record with a fresh context, constraints are checked field
    by field, and every ready record is hashed (repr of its sorted items), as validation did before."""
    import hashlib
    from functools import partial

    from executor import constraints, staging
    from mapper.transforms import _core

    _core.MEMO_SIZE = 0  # nothing remembered; after one look-up every chain just runs its steps
    _core._TRIAL = 1
    staging.COMPILED = False  # Stager._one walks the plan field by field
    staging.checker = lambda fields: partial(constraints.check_values, fields=fields)  # type: ignore[assignment]
    staging.content_hash = lambda values: hashlib.blake2b(repr(sorted(values.items())).encode("utf-8"),
                                                          digest_size=16).hexdigest()


def stage_one_by_one(practice: str, limit: int = 5_000) -> dict[str, float]:
    """Baseline: the same staging, but each record fetched from the source on its own (one query per record)."""
    from connectors.sources.dentrix import from_settings
    from executor.staging import Echo, Stager, key_fields, read_all, source_id_of

    spec = bench_spec()
    source = from_settings({"kind": "dentrix", "path": practice}, Path(practice).parent)
    src_schema = source.introspect(profile=False)
    stager = Stager(spec, "dentrix", src_schema, _odoo_schema(), lambda _: Echo())
    em = spec.entity_map("ledger")
    keys = key_fields(em, src_schema)
    ids = [source_id_of(r, keys) for _, r in zip(range(limit), read_all(source, em.source))]
    start = time.perf_counter()
    for sid in ids:
        list(stager.stage(em, source.fetch(em.source, [sid])))
    elapsed = time.perf_counter() - start
    source.close()
    return {"per_s": len(ids) / elapsed}


def load(per_call: int) -> dict[str, float]:
    """Load LOAD_RECORDS patients into an in-process Odoo emulator, `per_call` records per upsert."""
    from connectors.emulators.odoo import LOCAL_CREDENTIALS, create_app
    from connectors.emulators.serve import serving
    from connectors.registry import open_destination
    from executor.ledger import open_ledger
    from executor.load import Loader
    from executor.staging import Staged
    from mapper.schema import SchemaChange

    os.environ.update(LOCAL_CREDENTIALS)
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-load-"))
    with serving(create_app(folder / "odoo.sqlite")) as server:
        dest = open_destination("odoo", {"url": server.url}, folder)
        dest.apply_change(SchemaChange("field", "res.partner", "x_bw_external_id", unique=True, external_id=True))
        if per_call != dest.capabilities.max_batch:
            dest.capabilities = replace(dest.capabilities, max_batch=per_call)  # type: ignore[misc]
        ledger = open_ledger(folder / "ledger.db")
        em = bench_spec().entity_map("patients")
        staged = (Staged("patients", str(i), f"bw:bench:patient:{i}", "ready",
                         {"name": f"Patient {i}", "email": f"p{i}@example.test"}, f"h{i}")
                  for i in range(LOAD_RECORDS))
        run_id = ledger.start_run("full")
        start = time.perf_counter()
        stats = Loader(ledger, dest, run_id).load(em, staged)
        elapsed = time.perf_counter() - start
        assert stats.created == LOAD_RECORDS, stats
        dest.close()
        ledger.close()
    return {"per_s": LOAD_RECORDS / elapsed}


def main() -> None:
    """Print the executor benchmark table."""
    report = BenchReport("Executor: local stage = " + LOCAL_STAGE + "; and load")
    folder = Path(os.environ.get("BRIDGEWORK_BENCH_DIR") or tempfile.mkdtemp(prefix="bw-bench-"))
    results = {}
    for size in SIZES:
        practice = str(_practice(size, folder))
        results[size] = got = run_isolated(stage, practice)
        naive = run_isolated(stage, practice, False, True)
        extract = run_isolated(stage, practice, False, False, True)
        assert naive["findings"] == got["findings"] and naive["records"] == got["records"], (naive, got)
        report.add(f"local stage records/s, {size:,} patients", got["per_s"], "rec/s", baseline=naive["per_s"],
                   note=f"{int(got['records']):,} records, {got['wall_s']:.1f} s wall, {got['cpu_s']:.1f} s CPU "
                        f"(baseline {naive['wall_s']:.1f} s wall): naive = chains step by step, plain checks and "
                        "hash; target >= 50,000")
        report.add(f"local stage records per CPU second, {size:,} patients", got["records"] / got["cpu_s"], "rec/s",
                   baseline=naive["records"] / naive["cpu_s"],
                   note="process CPU time: the wall figure when the process has a core to itself")
        report.add(f"  of which extract alone, {size:,} patients", extract["per_s"], "rec/s",
                   note=f"source reads only: {extract['wall_s']:.1f} s wall, {extract['cpu_s']:.1f} s CPU "
                        f"({extract['records'] / extract['cpu_s']:,.0f} rec per CPU s); the ceiling")
        materialised = run_isolated(stage, practice, True)
        report.add(f"local stage peak RSS, {size:,} patients", got["rss_mb"], "MB", baseline=materialised["rss_mb"],
                   note="baseline: each entity read into a list first; target < 1,536 (lower is better)")
    small, big = results[SIZES[0]]["rss_mb"], results[SIZES[-1]]["rss_mb"]
    report.add(f"RSS growth {SIZES[0]:,} -> {SIZES[-1]:,} patients (streaming)", big / small, "x", note="flat is ~1x")
    one_by_one = run_isolated(stage_one_by_one, str(_practice(SIZES[0], folder)))
    report.add(f"local stage records/s, {SIZES[0]:,} patients, vs one source query per record",
               results[SIZES[0]]["per_s"], "rec/s", baseline=one_by_one["per_s"],
               note="paged reads vs fetch(id) per record (5,000 ledger rows)")
    ws_root = run_isolated(prepare_full_map, str(folder / "full-map"), FULL_MAP_PATIENTS)
    full, full_naive = run_isolated(stage_full_map, ws_root), run_isolated(stage_full_map, ws_root, True)
    report.add(f"local stage records/s, the proposer's whole map, {FULL_MAP_PATIENTS:,} patients", full["per_s"], "rec/s",
               baseline=full_naive["per_s"],
               note=f"{int(full['records']):,} records through {int(full['fields'])} confirmed field maps (the map the "
                    f"demo loads into Odoo: phone/email/date chains, joins, every custom field), {full['wall_s']:.1f} s "
                    f"wall, {full['cpu_s']:.1f} s CPU; the rows above use the e2e test map (a few fields per object); "
                    "target >= 50,000")
    hashed = run_isolated(stage_full_map, ws_root, False, True)
    report.add("  the same with content hashes (as `run` stages)", hashed["per_s"], "rec/s",
               note="the ledger's hash of every ready record; no target (loading is bound by the destination)")
    batched, single = run_isolated(load, 200), run_isolated(load, 1)
    report.add(f"load records/s into the Odoo emulator ({LOAD_RECORDS:,} records)", batched["per_s"], "rec/s",
               baseline=single["per_s"], note="batches of 200 vs one record per call")
    report.print()
