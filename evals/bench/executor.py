"""Executor benchmark: local staging speed and memory (10k vs 100k patients), load speed into the Odoo emulator.

Each figure sits next to a naive baseline measured in the same run: staging a materialised
list (everything in memory first) and loading one record per call.
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


def stage(practice: str, materialise: bool) -> dict[str, float]:
    """Extract + transform + validate every record of the bench map (run in a fresh process)."""
    from connectors.sources.dentrix import from_settings
    from executor.staging import Echo, Stager, read_all
    from executor.validate import check_values, constrained
    from mapper.spec import dependency_order

    spec = bench_spec()
    schema = _odoo_schema()
    source = from_settings({"kind": "dentrix", "path": practice}, Path(practice).parent)
    src_schema = source.introspect(profile=False)
    stager = Stager(spec, "dentrix", src_schema, schema, lambda _: Echo())
    start, records = time.perf_counter(), 0
    for em in dependency_order(spec):
        checked = constrained(stager.dest_entity(em), {fm.target_name or "" for fm in em.fields})
        rows: Iterable[Mapping[str, Any]] = read_all(source, em.source)
        if materialise:
            rows = list(rows)
        for s in stager.stage(em, rows):
            records += 1
            if s.state == "ready":
                check_values(s.values, checked)
    elapsed = time.perf_counter() - start
    source.close()
    return {"records": records, "per_s": records / elapsed, "rss_mb": peak_rss_mb()}


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
    report = BenchReport("Executor: staging (extract + transform + validate) and load")
    folder = Path(os.environ.get("BRIDGEWORK_BENCH_DIR") or tempfile.mkdtemp(prefix="bw-bench-"))
    results = {}
    for size in SIZES:
        practice = str(_practice(size, folder))
        results[size] = run_isolated(stage, practice, False)
        report.add(f"stage records/s, {size:,} patients", results[size]["per_s"], "rec/s",
                   note=f"{int(results[size]['records']):,} records; target >= 50,000")
        report.add(f"stage peak RSS, {size:,} patients", results[size]["rss_mb"], "MB", note="target < 1,536")
    naive = run_isolated(stage, str(_practice(SIZES[0], folder)), True)
    report.add(f"stage peak RSS, {SIZES[0]:,} patients, materialised (baseline)", naive["rss_mb"], "MB",
               note="whole entity in memory before staging")
    one_by_one = run_isolated(stage_one_by_one, str(_practice(SIZES[0], folder)))
    report.add(f"stage records/s, {SIZES[0]:,} patients, vs one source query per record", results[SIZES[0]]["per_s"],
               "rec/s", baseline=one_by_one["per_s"], note="paged reads vs fetch(id) per record (5,000 ledger rows)")
    small, big = results[SIZES[0]]["rss_mb"], results[SIZES[-1]]["rss_mb"]
    report.add("RSS growth 10k -> 100k (streaming)", big / small, "x", note="flat is ~1x")
    batched, single = run_isolated(load, 200), run_isolated(load, 1)
    report.add(f"load records/s into the Odoo emulator ({LOAD_RECORDS:,} records)", batched["per_s"], "rec/s",
               baseline=single["per_s"], note="batches of 200 vs one record per call")
    report.print()
