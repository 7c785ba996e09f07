"""review: the practice admin's app, served on 127.0.0.1 only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from executor.workspace import Workspace
from ui._app import WorkspaceOption, command, console

APP = Path(__file__).resolve().parent.parent / "app.py"


def streamlit_command(port: int) -> list[str]:
    """The streamlit invocation: headless, loopback only, no usage statistics."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
    ]


@command()
def review(
    workspace: WorkspaceOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
) -> None:
    """Open the review app (confirm maps, plan, data check, sample, run, reconcile, chat) on 127.0.0.1."""
    ws = Workspace.find(workspace)
    console.print(f"Review app for {ws.root} on [bold]http://127.0.0.1:{port}[/] (Ctrl+C to stop)")
    env = {**os.environ, "BRIDGEWORK_WORKSPACE": str(ws.root)}
    try:
        subprocess.run(streamlit_command(port), env=env, check=False)
    except KeyboardInterrupt:
        console.print("Stopped. Every decision was already saved to mapping.yaml.")
