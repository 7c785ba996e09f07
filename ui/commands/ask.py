"""ask: plain-language questions about the migration, answered from the ledger."""

from __future__ import annotations

from typing import Annotated

import typer

from executor.workspace import Workspace
from ui._app import JsonOption, WorkspaceOption, command, console, print_json


@command()
def ask(
    question: Annotated[str, typer.Argument(help='For example: "how many patients are loaded?"')],
    workspace: WorkspaceOption = None,
    llm: Annotated[str | None, typer.Option(help="litellm model name; default: the workspace setting, else offline.")] = None,
    fast: Annotated[bool, typer.Option("--fast", help="Skip the embedding model (fuzzy matching only).")] = False,
    json_out: JsonOption = False,
) -> None:
    """Answer a question about the migration's status (offline unless an LLM is configured)."""
    from ui.chat.engine import IntentRouter, ask as answer_question, default_embedder

    ws = Workspace.find(workspace)
    model = llm or ws.settings.options.llm
    router = IntentRouter(embedder=None if fast else default_embedder())
    answer = answer_question(ws, question, router=router, llm=model)
    if json_out:
        print_json({"answer": answer.text, "facts": [list(f) for f in answer.facts], "tool": answer.tool, "refused": answer.refused})
        return
    console.print(answer.text, soft_wrap=True)
    if answer.facts:
        console.print("[dim]Numbers used: " + ", ".join(f"{k} = {v}" for k, v in answer.facts) + "[/]", soft_wrap=True)
