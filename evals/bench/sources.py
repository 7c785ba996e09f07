"""Demo generation, Dentrix introspection + profiling, and extraction speed at 100,000 patients.

Generation: patients/s for the Dentrix layout with every related row. Introspection with
value profiles runs in a fresh process so its peak RSS is its own (target < 1 GB).
Extraction: DentrixSource.pages() over every entity of the practice (the target, >= 100,000
records/s) and over the three big ones (patient, appt, fullproclog), in a fresh process as a
migration would read them (its peak RSS is reported too), against a naive baseline in the same
process: one SELECT per id through the same source (fetch of one id). Records are counted per
page, so the figure is what a consumer of pages() gets: every record built and normalised.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from evals.bench._report import BenchReport, peak_rss_mb, run_isolated, timed

PATIENTS = 100_000
BIG = ("patient", "appt", "fullproclog")
NAIVE_FETCHES = 3_000
PAGE_SIZE = 5000


def _introspect(path: str) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and profiled fields of a full introspection (run in a fresh process)."""
    from connectors.sources.dentrix import from_settings

    with timed() as elapsed:
        source = from_settings({"path": path}, Path("."))
        schema = source.introspect(profile=True)
        source.close()
    fields = sum(1 for e in schema.entities for f in e.fields if f.profile is not None)
    return elapsed(), peak_rss_mb(), fields


def _extract(path: str) -> dict[str, Any]:
    """Read every entity through pages() (run in a fresh process): per-entity records, wall and CPU seconds; peak RSS; naive baseline."""
    from connectors.sources.dentrix import from_settings

    source = from_settings({"path": path}, Path("."))
    try:
        entities = [e.name for e in source.introspect(profile=False).entities if e.key]
        per: dict[str, tuple[int, float, float]] = {}
        for entity in entities:
            records = 0
            cpu = time.process_time()
            with timed() as elapsed:
                for page in source.pages(entity, page_size=PAGE_SIZE):
                    records += len(page.records)
            per[entity] = (records, elapsed(), time.process_time() - cpu)
        total = source.count("fullproclog")
        ids = list(range(1, total, max(1, total // NAIVE_FETCHES)))[:NAIVE_FETCHES]
        with timed() as elapsed:
            naive = sum(len(source.fetch("fullproclog", [str(i)])) for i in ids)
        naive_s = elapsed()
    finally:
        source.close()
    return {"per": per, "rss": peak_rss_mb(), "naive": naive, "naive_s": naive_s, "fetches": len(ids)}


def main() -> None:
    """Print the sources table."""
    from connectors.sources.demo import generate_practice

    report = BenchReport(f"Sources: demo generation, Dentrix introspection and extraction ({PATIENTS:,} patients, 2 sites)")
    with tempfile.TemporaryDirectory(prefix="bw-bench-sources-") as tmp:
        path = Path(tmp) / "practice.db"
        with timed() as elapsed:
            stats = generate_practice(path, patients=PATIENTS, sites=2, seed=7)
        generation_s = elapsed()
        rows = sum(stats.tables.values())
        report.add("demo generation, Dentrix layout", PATIENTS / generation_s, "patients/s", None,
                   f"{rows:,} rows in {generation_s:.1f} s ({rows / generation_s:,.0f} rows/s); "
                   "no target set (a 100k-patient practice in well under a minute)")

        seconds, rss, fields = run_isolated(_introspect, str(path))
        report.add("introspection + profiling (fresh process)", seconds, "s", None, f"{fields} fields profiled, up to 20,000 records each")
        report.add("introspection + profiling peak RSS", rss, "MB", None, "target < 1,024 MB")

        got = run_isolated(_extract, str(path))
    per: dict[str, tuple[int, float, float]] = got["per"]
    naive_rate = got["naive"] / got["naive_s"]
    baseline = f"baseline: one SELECT per id x {got['fetches']:,} (same source, same normalisation)"

    def total(names: list[str] | tuple[str, ...]) -> tuple[int, float, float]:
        return sum(per[n][0] for n in names), sum(per[n][1] for n in names), sum(per[n][2] for n in names)

    records, wall, cpu = total(list(per))
    report.add(f"extraction via pages(), all {len(per)} entities (fresh process)", records / wall, "rec/s", naive_rate,
               f"{baseline}; {records:,} records in {wall:.1f} s; {records / cpu:,.0f} rec per CPU-second; target 100,000 rec/s")
    records, wall, cpu = total(BIG)
    each = ", ".join(f"{n} {per[n][0] / per[n][1]:,.0f}" for n in BIG)
    report.add("extraction via pages(), patient + appt + fullproclog", records / wall, "rec/s", naive_rate,
               f"{records:,} records; {records / cpu:,.0f} rec per CPU-second; rec/s each: {each}")
    report.add("extraction peak RSS (fresh process)", got["rss"], "MB", None,
               f"pages of {PAGE_SIZE:,}; bounded by the page, not the practice")
    report.print()


if __name__ == "__main__":
    main()
