"""The chat page: a question in, an answer with its numbers out."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evals.chat import states
from tests.ui.conftest import APP


def test_chat_page_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = states.loaded(tmp_path / "ws")
    monkeypatch.setenv("BRIDGEWORK_WORKSPACE", str(ws.root))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/chat.py")
    at.run()
    at.chat_input[0].set_value("how many patients are loaded?").run()
    assert not at.exception
    texts = [m.markdown[0].value for m in at.chat_message]
    assert texts[0] == "how many patients are loaded?"
    assert "120 of 124" in texts[1]
