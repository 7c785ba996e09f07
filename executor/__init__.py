"""The deterministic executor over the workspace ledger: plan, validate, sample, run, delta,
reconcile, rollback, audit, status. Modules are imported where used (the CLI stays quick)."""

from __future__ import annotations

from executor.workspace import Workspace

__all__ = ["Workspace"]
