"""What every page of the review app shares: the open workspace, the operator, readable errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from executor.workspace import Workspace
from mapper.errors import BridgeworkError
from mapper.schema import Schema
from mapper.spec import MappingSpec

T = TypeVar("T")

WORKSPACE_ENV = "BRIDGEWORK_WORKSPACE"


def workspace() -> Workspace:
    """The workspace the app was started on; stops the page with a readable message if none."""
    path = st.session_state.get("workspace_path") or os.environ.get(WORKSPACE_ENV)
    if not path:
        st.error("No workspace is open. Start the app with: bridgework review --workspace PATH")
        st.stop()
    try:
        return Workspace.find(Path(path))
    except BridgeworkError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() ends the run


def guarded(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run fn; a BridgeworkError becomes one red line and stops the page (never a traceback)."""
    try:
        return fn(*args, **kwargs)
    except BridgeworkError as exc:
        st.error(str(exc))
        st.stop()
        raise


def operator(ws: Workspace) -> str:
    """Who is reviewing: typed in the sidebar, else the workspace operator."""
    return str(st.session_state.get("operator") or ws.operator)


def load_spec(ws: Workspace) -> MappingSpec:
    """mapping.yaml as it is on disk now (re-read every run: disk is the truth)."""
    return guarded(MappingSpec.load, ws.mapping_path)


def load_schemas(ws: Workspace) -> tuple[Schema, Schema]:
    """The stored source and destination schemas."""
    return guarded(Schema.load, ws.source_schema_path), guarded(Schema.load, ws.destination_schema_path)
