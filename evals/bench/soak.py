"""Emulator start-up time and a soak of mixed connector calls with injected faults.

`bridgework emulate twenty|odoo` is started as a real process; the figure is the time until
it answers. Then each emulator takes mixed calls (describe, batched upsert, re-upsert,
update, read, find, count, delete) from its connector for BRIDGEWORK_SOAK_SECONDS (default
600, both emulators at once) with a 5xx injected every 40th request; the connector retries
those. Any other failure is an error of the soak. The baseline is the same mix with no
injected faults for a short run in the same process, so the ratio shows what retries cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.base import DestRecord
from connectors.emulators.serve import free_port
from connectors.registry import emulator_module
from evals.bench._report import BenchReport
from mapper.schema import SchemaChange

KINDS = {"twenty": ("person", {"name.firstName": "Soak", "name.lastName": "Test"}, "jobTitle"),
         "odoo": ("res.partner", {"name": "Soak Test", "is_company": False}, "function")}
EXTERNAL = {"twenty": "bwExternalId", "odoo": "x_bw_external_id"}
FAULT = {"twenty": {"fail_every": 40, "fail_status": 503, "throttle": False},
         "odoo": {"fail_every": 40, "fail_status": 503}}


@dataclass
class SoakResult:
    """What one emulator went through."""

    calls: int = 0
    records: int = 0
    errors: list[str] = field(default_factory=list)


def start(kind: str, state: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """`bridgework emulate KIND` as a process; its URL and seconds until it answered."""
    port = free_port()
    bw = Path(sys.executable).with_name("bridgework")
    begin = time.perf_counter()
    proc = subprocess.Popen([str(bw), "emulate", kind, "--port", str(port), "--state", str(state)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - begin < 30:
        try:
            httpx.get(f"{url}/_emulator/state", timeout=1)
            return proc, url, time.perf_counter() - begin
        except httpx.HTTPError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"{kind} emulator did not start in 30 s")


def _destination(kind: str, url: str) -> Any:
    import importlib

    for name, value in emulator_module(kind).LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    return importlib.import_module(f"connectors.destinations.{kind}").from_settings({"url": url, "pace": False}, Path("."))


def soak(kind: str, url: str, seconds: float, faults: dict[str, Any]) -> SoakResult:
    """Mixed calls until `seconds` pass; injected 5xx are retried by the connector, anything else is an error."""
    entity, base, text_field = KINDS[kind]
    httpx.post(f"{url}/_emulator/faults", json=faults, timeout=10)
    dest = _destination(kind, url)
    result = SoakResult()
    dest.apply_change(SchemaChange(kind="field", entity=entity, name=EXTERNAL[kind], type="string",
                                   unique=True, external_id=True))
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += 1
        try:
            batch = [DestRecord(f"bw:soak:{kind}:{n}:{i}", {**base, text_field: f"round {n}"}) for i in range(50)]
            outcomes = dest.upsert(entity, batch)
            again = dest.upsert(entity, batch)
            result.calls += 2
            ids = [o.destination_id for o in outcomes if o.destination_id]
            bad = [o for o in outcomes + again if o.action == "reject"]
            if bad or len(ids) != len(batch):
                result.errors.append(f"round {n}: {len(bad)} rejected, {len(ids)} of {len(batch)} ids")
            dest.update(entity, ids[0], {text_field: "updated"})
            stored = dest.read(entity, ids[:10])
            found = dest.find(entity, [r.external_id for r in batch[:10]])
            if len(stored) != 10 or len(found) != 10:
                result.errors.append(f"round {n}: read {len(stored)}/10, find {len(found)}/10")
            dest.count(entity, f"bw:soak:{kind}:{n}:")
            dest.delete(entity, ids)
            if n % 20 == 0:
                dest.describe()
                result.calls += 1
            result.calls += 5
            result.records += len(batch)
        except Exception as exc:  # the soak counts failures, it does not stop at the first
            result.errors.append(f"round {n}: {type(exc).__name__}: {str(exc)[:120]}")
    dest.close()
    return result


def main() -> None:
    """Start-up times, then the soak (both emulators at once)."""
    seconds = float(os.environ.get("BRIDGEWORK_SOAK_SECONDS", "600"))
    report = BenchReport(f"Emulators: start-up and a {seconds:.0f} s soak of mixed calls (5xx injected every 40th request)")
    with tempfile.TemporaryDirectory() as tmp:
        procs, urls = {}, {}
        for kind in KINDS:
            proc, url, startup = start(kind, Path(tmp) / f"{kind}.sqlite")
            procs[kind], urls[kind] = proc, url
            report.add(f"{kind}: bridgework emulate answers after", startup, "s", note="target < 3 s")
        try:
            baseline = {kind: soak(kind, urls[kind], min(10.0, seconds), {**FAULT[kind], "fail_every": 0}) for kind in KINDS}
            results: dict[str, SoakResult] = {}
            threads = [threading.Thread(target=lambda k=kind: results.__setitem__(k, soak(k, urls[k], seconds, FAULT[k])))
                       for kind in KINDS]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for kind, res in results.items():
                base_rate = baseline[kind].records / min(10.0, seconds)
                report.add(f"{kind}: records through the soak", res.records / seconds, "records/s", base_rate,
                           note=f"{res.calls:,} calls, {len(res.errors)} errors beyond the injected ones"
                           + (f" (first: {res.errors[0]})" if res.errors else ""))
                alive = procs[kind].poll() is None
                report.add(f"{kind}: still serving after the soak", 1.0 if alive else 0.0, "yes=1")
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=10)
    report.print()
