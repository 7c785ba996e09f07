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


def test_fill_a_value_map_in_the_browser(picklist_workspace: Workspace) -> None:
    """The value-map editor shows the source codes beside the picklist's options; a choice saved lands in mapping.yaml."""
    from playwright.sync_api import expect

    from tests.ui._browser import settle, shot

    with streamlit_app({**os.environ, "BRIDGEWORK_WORKSPACE": str(picklist_workspace.root)}) as base, \
            browser_page(height=1600) as page:
        open_page(page, base, "review", "Review the map", timeout_ms=30_000)
        expect(page.get_by_text("Value map", exact=False).first).to_be_visible()
        expect(page.get_by_text("Any other code")).to_be_visible()
        page.get_by_test_id("stSelectbox").filter(has_text="Any other code").click()
        page.get_by_role("option", name="(leave the field empty)").click()
        settle(page)
        page.get_by_role("button", name="Save value map").click()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            step = MappingSpec.load(picklist_workspace.mapping_path).entities[0].fields[0].transforms[0]
            if "default" in step.args:
                break
            time.sleep(0.2)
        settle(page)
        page.get_by_text("Value map", exact=False).first.scroll_into_view_if_needed()
        shot(page, "review-value-map")
    fm = MappingSpec.load(picklist_workspace.mapping_path).entities[0].fields[0]
    assert fm.transforms[0].args == {"map": {}, "default": None} and fm.status == "confirmed"
