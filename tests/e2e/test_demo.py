"""`bridgework demo --json` into every destination emulator: a real migration of the generated practice."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

DESTINATIONS = ("odoo", "twenty", "salesforce", "dynamics")
PATIENTS = 40
MOSTLY = 0.8
ALSO_LOADED = {"odoo": ("clinic", "recallpending", "docattach"), "salesforce": ("txcase", "docattach"),
               "twenty": ("docattach",), "dynamics": ("docattach",)}
"""Per destination, further source entities whose primary map must load (mostly): what a real migration brings."""


def _demo(dest: str, workspace: Path) -> dict[str, object]:
    done = subprocess.run([str(Path(sys.executable).with_name("bridgework")), "demo", "--dest", dest,
                           "--patients", str(PATIENTS), "--json", "--workspace", str(workspace)],
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _share(objects: dict[str, dict[str, int]], source: str) -> float:
    """Loaded share of the source entity's primary map (the one with the most loaded records)."""
    rows = [r for m, r in objects.items() if m.split("->")[0] == source]
    assert rows, f"no entity map for {source}"
    best = max(rows, key=lambda r: r["loaded"])
    return best["loaded"] / best["source"] if best["source"] else 0.0


@pytest.mark.parametrize("dest", DESTINATIONS)
def test_demo_migrates_the_practice(dest: str, tmp_path: Path) -> None:
    result = _demo(dest, tmp_path / "ws")
    assert set(result) >= {"dest", "objects", "duplicates", "elapsed_s"}
    assert result["dest"] == dest
    objects = result["objects"]
    assert isinstance(objects, dict) and objects
    for name, row in objects.items():
        assert set(row) == {"source", "loaded", "skipped", "rejected", "destination"}, name
        assert row["source"] == row["loaded"] + row["skipped"] + row["rejected"], name
    assert _share(objects, "patient") >= MOSTLY
    assert _share(objects, "appt") >= MOSTLY
    assert _share(objects, "clinicalnote") >= MOSTLY
    for source in ALSO_LOADED.get(dest, ()):
        assert _share(objects, source) >= MOSTLY, source
    assert result["duplicates"] == 0
    assert result["reconcile_ok"] is True
    _documents_and_owners(dest, result)


def _documents_and_owners(dest: str, result: dict[str, object]) -> None:
    """Documents go as records attached to their patient, listed in the imaging manifest; owners are reported."""
    manifest = result["manifest"]
    assert isinstance(manifest, dict) and manifest["rows"] > 0 and manifest["loaded"] >= MOSTLY * manifest["rows"]
    with open(manifest["path"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == manifest["rows"] and all(r["patient_source_id"] and r["file_reference"] for r in rows)
    assert {r["status"] for r in rows} <= {"loaded", "rejected", "not loaded", "skipped"}
    assert all(r["destination_id"] for r in rows if r["status"] == "loaded")
    owners = result["owners"]
    assert isinstance(owners, dict) and owners["unassigned"] > 0 and Path(owners["report"]).exists()
    assert owners["matched"] > 0  # the demo gives some providers a destination login first
