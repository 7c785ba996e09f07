"""The review app in real headless Chromium (Debian package), driven by Playwright: click to confirm."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from executor.workspace import Workspace
from mapper.spec import MappingSpec
from tests.ui._browser import ARTIFACTS, BROWSER_MARKS, browser_page, open_page, streamlit_app

pytestmark = BROWSER_MARKS


@pytest.fixture
def app_url(review_workspace: Workspace) -> Iterator[str]:
    with streamlit_app({**os.environ, "BRIDGEWORK_WORKSPACE": str(review_workspace.root)}) as base:
        yield base


def test_confirm_a_map_by_clicking(app_url: str, review_workspace: Workspace) -> None:
    with browser_page(height=1100) as page:
        open_page(page, app_url, "review", "Review the map", timeout_ms=30_000)
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
    fm = MappingSpec.load(review_workspace.mapping_path).entities[0].fields[0]
    assert fm.status == "confirmed" and fm.target == "name"
