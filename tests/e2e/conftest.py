"""End-to-end fixtures: a small generated practice, Odoo emulators in their own processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _e2e import PATIENTS, Emulator

from connectors.emulators.odoo import LOCAL_CREDENTIALS


@pytest.fixture(scope="session")
def practice_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated 50-patient, two-site Dentrix practice (copied per workspace)."""
    from connectors.sources.demo import generate_practice

    path = tmp_path_factory.mktemp("practice") / "practice.db"
    generate_practice(path, patients=PATIENTS, sites=2, seed=3)
    return path


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    """A factory of emulator processes, all stopped at the end of the test."""
    started: list[Emulator] = []

    def start(**switches: Any) -> Emulator:
        emu = Emulator(tmp_path / f"odoo-{len(started)}.sqlite", **switches)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture(autouse=True)
def _odoo_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOCAL_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
