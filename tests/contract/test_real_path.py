"""Each contract suite's real-server path, run against `bridgework emulate KIND` as if it were the real server.

Real servers will be pointed at these suites by URL and credentials alone; this proves that path works end to end
(its own fixtures, real-time waits, clean-up) before anyone relies on it against a live org.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
URL_ENV = {"twenty": "BRIDGEWORK_TWENTY_URL", "odoo": "BRIDGEWORK_ODOO_URL",
           "salesforce": "BRIDGEWORK_SALESFORCE_URL", "dynamics": "BRIDGEWORK_DYNAMICS_URL"}


def _start(kind: str, tmp_path: Path) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    """`bridgework emulate KIND` on a free port; (process, its URL, the credentials it printed)."""
    proc = subprocess.Popen([str(Path(sys.executable).parent / "bridgework"), "emulate", kind, "--state", str(tmp_path / "state.sqlite")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    url, creds, deadline = "", {}, time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if m := re.search(r"on (http://127\.0\.0\.1:\d+)", line):
            url = m.group(1)
        if m := re.match(r"\s*export (BRIDGEWORK_\w+)=(\S+)", line):
            creds[m.group(1)] = m.group(2)
        if line.startswith("Stop with"):
            break
    assert url, f"the {kind} emulator did not say where it listens"
    return proc, url, creds


@pytest.mark.parametrize("kind", sorted(URL_ENV))
def test_real_server_path_passes_against_a_standalone_emulator(kind: str, tmp_path: Path) -> None:
    proc, url, creds = _start(kind, tmp_path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWORK_")}
        env.update(creds, **{URL_ENV[kind]: url, "PYTHONDONTWRITEBYTECODE": "1"})
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                               "-k", "real", f"tests/contract/test_{kind}.py"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=500)
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
        assert done.returncode == 0, done.stdout[-3000:]
        assert re.search(r"\d+ passed", summary), summary
    finally:
        proc.terminate()
        proc.wait(timeout=20)
