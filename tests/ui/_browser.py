"""What the headless-Chromium tests share: the browser, served processes, and page steps."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators.serve import free_port
from ui.commands.review import streamlit_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
]


def wait_until_responds(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@contextmanager
def running(command: Sequence[str], env: Mapping[str, str], ready_url: str, timeout: float = 60) -> Iterator[None]:
    """A subprocess (output discarded) that is up once `ready_url` answers 200; terminated on exit."""
    proc = subprocess.Popen(list(command), env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_responds(ready_url, timeout)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def streamlit_app(env: Mapping[str, str]) -> Iterator[str]:
    """The review app served by streamlit on a free port; its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(streamlit_command(port), env, f"{base}/_stcore/health"):
        yield base


@contextmanager
def browser_page(height: int) -> Iterator[Any]:
    """A page 1440 px wide in headless Debian Chromium (screenshots go to ARTIFACTS)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        try:
            yield browser.new_page(viewport={"width": 1440, "height": height})
        finally:
            browser.close()


def settle(page: Any, extra_ms: int = 400) -> None:
    """Wait until Streamlit has finished running the script (its running indicator is gone)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(200)
    page.wait_for_timeout(extra_ms)


def open_page(page: Any, base: str, path: str, heading: str, timeout_ms: int = 60_000) -> None:
    """Go to an app page, wait for its heading, let the script finish."""
    from playwright.sync_api import expect

    page.goto(f"{base}/{path}", wait_until="networkidle")
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=timeout_ms)
    settle(page)


def press(page: Any, button: str, then: str, timeout_ms: int = 60_000) -> None:
    """Click a button, wait for the text `then`, let the script finish."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(then)).to_be_visible(timeout=timeout_ms)
    settle(page)


def shot(page: Any, name: str) -> None:
    """No traceback on the page; a full-page screenshot ARTIFACTS/<name>.png."""
    assert page.locator("text=Traceback").count() == 0, name
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
