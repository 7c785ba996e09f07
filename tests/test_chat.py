"""The chat: offline router accuracy on the chat eval, refusals, LLM tool calling with a fake model."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from evals.chat import run as chat_eval
from evals.chat import states
from ui.chat.engine import IntentRouter, ask, default_embedder
from ui.cli import app


@pytest.fixture(scope="module")
def router() -> IntentRouter:
    return IntentRouter(embedder=default_embedder())


def test_chat_eval_meets_targets(router: IntentRouter, tmp_path: Path) -> None:
    result = chat_eval.run(router, tmp_path)
    assert result.total >= 40
    assert result.router_accuracy >= 0.9, result.misses
    assert result.refused == result.hostile, result.misses


def test_fuzzy_only_router_still_works(tmp_path: Path) -> None:
    result = chat_eval.run(IntentRouter(embedder=None), tmp_path)
    assert result.router_accuracy >= 0.85 and result.refused == result.hostile


def _call(name: str, arguments: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(id=f"call-{name}", function=SimpleNamespace(name=name, arguments=json.dumps(arguments)))


def _reply(content: str | None = None, calls: list[SimpleNamespace] | None = None) -> SimpleNamespace:
    return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=content, tool_calls=calls or []))])


def test_llm_tool_calling_and_guarded_sql(tmp_path: Path) -> None:
    ws = states.loaded(tmp_path / "ws")
    seen: list[list[dict[str, Any]]] = []
    script = [
        _reply(calls=[_call("loaded", {}), _call("sql", {"query": "SELECT count(*) AS n FROM records WHERE state = 'rejected'"}),
                      _call("sql", {"query": "DELETE FROM records"}), _call("sql", {"query": "SELECT * FROM before_images"})]),
        _reply("120 patients are loaded; 4 records were rejected."),
    ]

    def completion(**kwargs: Any) -> SimpleNamespace:
        seen.append([dict(m) for m in kwargs["messages"]])
        return script[len(seen) - 1]

    answer = ask(ws, "how many patients are loaded and how many were rejected?", llm="fake/model", completion=completion)
    assert answer.tool == "llm" and "120" in answer.text
    tool_messages = [m["content"] for m in seen[1] if m["role"] == "tool"]
    assert json.loads(tool_messages[1]) == [{"n": 4}]
    assert tool_messages[2].startswith("refused") and tool_messages[3].startswith("refused")
    assert ("sql rows", 1) in answer.facts


def test_llm_failure_falls_back_to_the_router(tmp_path: Path, router: IntentRouter) -> None:
    ws = states.loaded(tmp_path / "ws")

    def broken(**kwargs: Any) -> Any:
        raise TimeoutError("provider timed out")

    answer = ask(ws, "how many patients are loaded?", llm="fake/model", completion=broken, router=router)
    assert answer.tool == "loaded" and "120 of 124" in answer.text


def test_litellm_mock_response_path(tmp_path: Path) -> None:
    import litellm

    ws = states.loaded(tmp_path / "ws")

    def completion(**kwargs: Any) -> Any:
        return litellm.completion(mock_response="All 6 carriers are loaded.", **kwargs)

    assert ask(ws, "did the carriers load?", llm="gpt-4o-mini", completion=completion).text == "All 6 carriers are loaded."


def test_ask_cli(tmp_path: Path) -> None:
    ws = states.loaded(tmp_path / "ws")
    result = CliRunner().invoke(app, ["ask", "what failed and why?", "--fast", "--workspace", str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tool"] == "failures" and ["not loaded", 5] in data["facts"]
    refused = CliRunner().invoke(app, ["ask", "DROP TABLE runs", "--fast", "--workspace", str(ws.root)])
    assert refused.exit_code == 0 and "cannot change anything" in refused.output
