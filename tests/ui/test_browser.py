"""The review app in real headless Chromium (Debian package), driven by Playwright: click to confirm."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.emulators.serve import free_port
from executor.workspace import Workspace
from mapper.spec import MappingSpec
from ui.commands.review import streamlit_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
]


def _wait_until_responds(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@pytest.fixture
def app_url(review_workspace: Workspace) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BRIDGEWORK_WORKSPACE": str(review_workspace.root)}
    proc = subprocess.Popen(streamlit_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_responds(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _launch(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"],
    )


def test_confirm_a_map_by_clicking(app_url: str, review_workspace: Workspace) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.goto(f"{app_url}/review", wait_until="networkidle")
        expect(page.get_by_role("heading", name="Review the map")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "review-top.png"))
        page.get_by_role("button", name="Confirm", exact=True).click()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if MappingSpec.load(review_workspace.mapping_path).entities[0].fields[0].status == "confirmed":
                break
            time.sleep(0.2)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "review-confirmed.png"), full_page=True)
        assert page.locator("text=Traceback").count() == 0
        browser.close()
    fm = MappingSpec.load(review_workspace.mapping_path).entities[0].fields[0]
    assert fm.status == "confirmed" and fm.target == "name"
