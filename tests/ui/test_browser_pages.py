"""Every migration page in headless Chromium against `bridgework emulate odoo`: a screenshot per page in .artifacts/."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.odoo import LOCAL_CREDENTIALS
from connectors.emulators.serve import free_port
from executor.workspace import Workspace
from tests.ui.conftest import copy_workspace
from tests.ui.test_browser import ARTIFACTS, CHROMIUM, _launch, _wait_until_responds
from ui.commands.review import streamlit_command

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
]


def _bridgework() -> list[str]:
    script = Path(sys.executable).with_name("bridgework")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ui.cli import main; main()"]


@pytest.fixture(scope="module")
def served(demo_planned: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Workspace]]:
    """A demo workspace ready to load whose destination is a separate emulator process, and the app on it."""
    ws = copy_workspace(demo_planned, tmp_path_factory.mktemp("browser") / "ws")
    env = {**os.environ, **LOCAL_CREDENTIALS, "BRIDGEWORK_WORKSPACE": str(ws.root)}
    emulator_port, app_port = free_port(), free_port()
    emulator = subprocess.Popen([*_bridgework(), "emulate", "odoo", "--port", str(emulator_port),
                                 "--state", str(ws.root / ".emulators" / "odoo.sqlite")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    try:
        _wait_until_responds(f"http://127.0.0.1:{emulator_port}/web/webclient/version_info", timeout=60)
        ws.settings.destination.url = f"http://127.0.0.1:{emulator_port}"
        ws.save_settings()
        app = subprocess.Popen(streamlit_command(app_port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_responds(f"http://127.0.0.1:{app_port}/_stcore/health")
        yield f"http://127.0.0.1:{app_port}", ws
    finally:
        for proc in (app, emulator):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


def _settle(page, extra_ms: int = 400) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (its running indicator is gone)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(200)
    page.wait_for_timeout(extra_ms)


def _open(page, base: str, path: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(f"{base}/{path}", wait_until="networkidle")
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
    _settle(page)


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("text=Traceback").count() == 0, name
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_every_page_in_a_browser(served: tuple[str, Workspace]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, ws = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 2400})

        _open(page, base, "", "Connect")
        page.get_by_role("button", name="Test destination").click()
        expect(page.get_by_text("Destination answered")).to_be_visible(timeout=60_000)
        _settle(page)
        _shot(page, "pages-connect")

        _open(page, base, "plan", "Schema plan")
        expect(page.get_by_text("Nothing left to create")).to_be_visible()
        _shot(page, "pages-plan")

        _open(page, base, "check", "Data check")
        page.get_by_role("button", name="Run the checks").click()
        expect(page.get_by_text("Records checked")).to_be_visible(timeout=60_000)
        _settle(page)
        _shot(page, "pages-check")

        _open(page, base, "sample", "Sample & diff")
        page.get_by_role("button", name="Run a sample").click()
        expect(page.get_by_text("Records read back")).to_be_visible(timeout=90_000)
        _settle(page)
        _shot(page, "pages-sample")
        if page.get_by_role("button", name="Roll back").count():  # something of the sample reached the destination
            page.get_by_role("button", name="Roll back").click()
            expect(page.get_by_text("Rolled back sample run")).to_be_visible(timeout=60_000)
            _settle(page)

        _open(page, base, "run", "Run")
        page.get_by_role("button", name="Start / resume the load").click()
        expect(page.get_by_text("Loading (")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        _shot(page, "pages-run-live")
        expect(page.get_by_text("finished in")).to_be_visible(timeout=90_000)
        _settle(page)
        _shot(page, "pages-run-done")

        _open(page, base, "reconcile", "Reconcile & rollback")
        page.get_by_role("button", name="Reconcile now").click()
        expect(page.get_by_text("Entity maps that agree")).to_be_visible(timeout=60_000)
        _settle(page)
        _shot(page, "pages-reconcile")
        page.get_by_role("button", name="Preview the rollback").click()
        expect(page.get_by_text("Would delete")).to_be_visible(timeout=60_000)
        _settle(page)
        _shot(page, "pages-rollback-preview")
        page.get_by_text("I understand").click()
        page.get_by_role("button", name="Roll back run").click()
        expect(page.get_by_text("Did delete")).to_be_visible(timeout=60_000)
        _settle(page)
        _shot(page, "pages-rollback-done")
        browser.close()
