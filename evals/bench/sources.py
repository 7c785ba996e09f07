"""Demo generation, Dentrix introspection + profiling, and extraction speed at 100,000 patients.

Generation: patients/s for the Dentrix layout with every related row. Introspection with
value profiles runs in a fresh process so its peak RSS is its own (target < 1 GB).
Extraction: DentrixSource.pages() over patient, appt and fullproclog against a naive
baseline in the same run: one SELECT per id through the same source (fetch of one id).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from evals.bench._report import BenchReport, peak_rss_mb, run_isolated, timed

PATIENTS = 100_000
ENTITIES = ("patient", "appt", "fullproclog")
NAIVE_FETCHES = 3_000


def _introspect(path: str) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and profiled fields of a full introspection (run in a fresh process)."""
    from connectors.sources.dentrix import from_settings

    with timed() as elapsed:
        source = from_settings({"path": path}, Path("."))
        schema = source.introspect(profile=True)
        source.close()
    fields = sum(1 for e in schema.entities for f in e.fields if f.profile is not None)
    return elapsed(), peak_rss_mb(), fields


def main() -> None:
    """Print the sources table."""
    from connectors.sources.demo import generate_practice
    from connectors.sources.dentrix import from_settings

    report = BenchReport(f"Sources: demo generation, Dentrix introspection and extraction ({PATIENTS:,} patients, 2 sites)")
    with tempfile.TemporaryDirectory(prefix="bw-bench-sources-") as tmp:
        path = Path(tmp) / "practice.db"
        with timed() as elapsed:
            stats = generate_practice(path, patients=PATIENTS, sites=2, seed=7)
        generation_s = elapsed()
        rows = sum(stats.tables.values())
        report.add("demo generation, Dentrix layout", PATIENTS / generation_s, "patients/s", None,
                   f"{rows:,} rows in {generation_s:.1f} s ({rows / generation_s:,.0f} rows/s); target 20,000 patients/s")

        seconds, rss, fields = run_isolated(_introspect, str(path))
        report.add("introspection + profiling (fresh process)", seconds, "s", None, f"{fields} fields profiled, up to 20,000 records each")
        report.add("introspection + profiling peak RSS", rss, "MB", None, "target < 1,024 MB")

        source = from_settings({"path": str(path)}, Path("."))
        try:
            records = 0
            cpu = time.process_time()
            with timed() as elapsed:
                for entity in ENTITIES:
                    for page in source.pages(entity, page_size=5000):
                        records += len(page.records)
            paged_s, paged_cpu = elapsed(), time.process_time() - cpu
            total = stats.tables["fullproclog"]
            ids = list(range(1, total, max(1, total // NAIVE_FETCHES)))[:NAIVE_FETCHES]
            with timed() as elapsed:
                naive = sum(len(source.fetch("fullproclog", [str(i)])) for i in ids)
            naive_s = elapsed()
        finally:
            source.close()
    report.add("extraction via pages() (patient, appt, fullproclog)", records / paged_s, "rec/s", naive / naive_s,
               f"baseline: one SELECT per id x {len(ids):,} (same source, same normalisation); {records:,} records; "
               f"{records / paged_cpu:,.0f} rec per CPU-second; target 100,000 rec/s")
    report.print()


if __name__ == "__main__":
    main()
