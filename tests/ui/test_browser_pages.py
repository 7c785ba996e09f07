"""Every migration page in headless Chromium against `bridgework emulate odoo`: a screenshot per page in .artifacts/."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.odoo import LOCAL_CREDENTIALS
from connectors.emulators.serve import free_port
from executor.workspace import Workspace
from tests.ui._browser import BROWSER_MARKS, browser_page, open_page, press, running, settle, shot, streamlit_app
from tests.ui.conftest import copy_workspace

pytestmark = BROWSER_MARKS


def _bridgework() -> list[str]:
    script = Path(sys.executable).with_name("bridgework")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ui.cli import main; main()"]


@pytest.fixture(scope="module")
def served(demo_planned: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Workspace]]:
    """A demo workspace ready to load whose destination is a separate emulator process, and the app on it."""
    ws = copy_workspace(demo_planned, tmp_path_factory.mktemp("browser") / "ws")
    env = {**os.environ, **LOCAL_CREDENTIALS, "BRIDGEWORK_WORKSPACE": str(ws.root)}
    port = free_port()
    emulate = [*_bridgework(), "emulate", "odoo", "--port", str(port), "--state", str(ws.root / ".emulators" / "odoo.sqlite")]
    with running(emulate, env, f"http://127.0.0.1:{port}/web/webclient/version_info"):
        ws.settings.destination.url = f"http://127.0.0.1:{port}"
        ws.save_settings()
        with streamlit_app(env) as base:
            yield base, ws


def test_every_page_in_a_browser(served: tuple[str, Workspace]) -> None:
    from playwright.sync_api import expect

    base, ws = served
    with browser_page(height=2400) as page:
        open_page(page, base, "", "Connect")
        press(page, "Test destination", "Destination answered")
        shot(page, "pages-connect")

        open_page(page, base, "plan", "Schema plan")
        expect(page.get_by_text("Nothing left to create")).to_be_visible()
        shot(page, "pages-plan")

        open_page(page, base, "check", "Data check")
        press(page, "Run the checks", "Records checked")
        matched = page.get_by_test_id("stMetric").filter(has_text="Matched to a user").get_by_test_id("stMetricValue")
        if matched.inner_text().strip() != "0":  # matched providers are never told "the destination listed no user"
            assert page.get_by_text("did not list any user").count() == 0
        shot(page, "pages-check")

        open_page(page, base, "sample", "Sample & diff")
        press(page, "Run a sample", "Records read back", timeout_ms=90_000)
        shot(page, "pages-sample")
        if page.get_by_role("button", name="Roll back").count():  # something of the sample reached the destination
            press(page, "Roll back", "Rolled back sample run")

        open_page(page, base, "run", "Run")
        page.get_by_role("button", name="Start / resume the load").click()
        expect(page.get_by_text("Loading (")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        shot(page, "pages-run-live")
        expect(page.get_by_text("finished in")).to_be_visible(timeout=90_000)
        settle(page)
        shot(page, "pages-run-done")

        open_page(page, base, "reconcile", "Reconcile & rollback")
        press(page, "Reconcile now", "Entity maps that agree")
        shot(page, "pages-reconcile")
        press(page, "Preview the rollback", "Would delete")
        shot(page, "pages-rollback-preview")
        page.get_by_text("I understand").click()
        press(page, "Roll back run", "Did delete")
        shot(page, "pages-rollback-done")
