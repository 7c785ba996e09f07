"""End-to-end helpers: Odoo emulators in their own processes, workspaces, the CLI in and out of process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from connectors.emulators.odoo import LOCAL_CREDENTIALS
from connectors.emulators.serve import free_port
from executor.workspace import Workspace
from ui.cli import app

HERE = Path(__file__).parent
BW = [str(Path(sys.executable).with_name("bridgework"))]
PATIENTS = 50


class Emulator:
    """`bridgework emulate odoo` in a subprocess (it survives the kill -9 of a run)."""

    def __init__(self, state: Path, **switches: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **{f"BRIDGEWORK_EMULATOR_{k.upper()}": str(v) for k, v in switches.items()}}
        self.proc = subprocess.Popen([*BW, "emulate", "odoo", "--port", str(self.port), "--state", str(state)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the Odoo emulator exited at start-up")
                time.sleep(0.1)
        raise RuntimeError("the Odoo emulator did not start")

    def stop(self) -> None:
        """Stop the emulator process."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def rpc(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        """One execute_kw call as the admin user."""
        creds = LOCAL_CREDENTIALS
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw", "args": [
            creds["BRIDGEWORK_ODOO_DB"], 2, creds["BRIDGEWORK_ODOO_PASSWORD"], model, method, args, kwargs or {}]}}
        for _ in range(20):  # the fault switches hit this client too
            response = httpx.post(self.url + "/jsonrpc", json=body, timeout=30)
            if response.status_code < 500:
                break
        reply = response.json()
        assert "error" not in reply, reply.get("error", {}).get("message")
        return reply["result"]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every record of the models the tests write (ids and a few values), for before/after equality."""
        out = {}
        for model, fields in (("res.partner", ["name", "email", "mobile", "is_company"]), ("crm.lead", ["name", "expected_revenue"])):
            rows = self.rpc(model, "search_read", [[]], {"fields": fields})
            out[model] = sorted(tuple(str(r.get(f)) for f in ["id", *fields]) for r in rows)
        return out

    def content(self) -> dict[str, dict[str, tuple[Any, ...]]]:
        """Records bridgework wrote, keyed by external id, references as external ids (comparable across servers)."""
        partners = self.rpc("res.partner", "search_read", [[]], {"fields": ["name", "email", "mobile", "x_bw_external_id"]})
        ext_of = {p["id"]: p.get("x_bw_external_id") for p in partners}
        leads = self.rpc("crm.lead", "search_read", [[]], {"fields": ["name", "partner_id", "expected_revenue", "x_bw_external_id"]})
        out: dict[str, dict[str, tuple[Any, ...]]] = {"res.partner": {}, "crm.lead": {}}
        for p in partners:
            if p.get("x_bw_external_id"):
                assert p["x_bw_external_id"] not in out["res.partner"], "duplicate partner"
                out["res.partner"][p["x_bw_external_id"]] = (p["name"], p["email"], p["mobile"])
        for lead in leads:
            if lead.get("x_bw_external_id"):
                assert lead["x_bw_external_id"] not in out["crm.lead"], "duplicate lead"
                partner = lead["partner_id"][0] if lead["partner_id"] else None
                out["crm.lead"][lead["x_bw_external_id"]] = (lead["name"], ext_of.get(partner), str(lead["expected_revenue"]))
        return out


def make_workspace(root: Path, practice: Path, url: str, *, apply_plan: bool = True) -> Workspace:
    """A workspace over a copy of the practice, the hand-written confirmed map, schemas stored, plan applied."""
    root.mkdir(parents=True)
    shutil.copy(practice, root / "practice.db")
    ws = Workspace.create(root / "ws", {"kind": "dentrix", "path": str(root / "practice.db")}, {"kind": "odoo", "url": url})
    shutil.copy(HERE / "mapping_odoo.yaml", ws.mapping_path)
    source = ws.open_source()
    destination = ws.open_destination()
    try:
        source.introspect(profile=False).save(ws.source_schema_path)
        destination.describe().save(ws.destination_schema_path)
    finally:
        source.close()
        destination.close()
    if apply_plan:
        result = cli("plan", "--apply", "-w", str(ws.root))
        assert result.exit_code == 0, result.output
    return ws


def cli(*args: str) -> Any:
    """Run a bridgework command in-process."""
    return CliRunner().invoke(app, list(args))


def run_subprocess(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a bridgework command in its own process."""
    return subprocess.run([*BW, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **LOCAL_CREDENTIALS})
