"""The Typer app, its shared options and the one place errors become one red line."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from mapper.errors import BridgeworkError

app = typer.Typer(
    name="bridgework",
    help="Move a dental practice from its practice-management system into a CRM: "
    "nothing lost, nothing doubled, every step reversible.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: the current folder).", envvar="BRIDGEWORK_WORKSPACE"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one red line to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code=code)


def handle_errors(fn: F) -> F:
    """Turn BridgeworkError (and anything unexpected) into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except BridgeworkError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("Stopped. What was done is kept; run the same command again to carry on.", 130) from None
        except Exception as exc:  # never a traceback for a practice admin
            if os.environ.get("BRIDGEWORK_DEBUG"):
                raise
            raise fail(
                f"Unexpected {type(exc).__name__} in '{fn.__name__.replace('_', ' ')}'. What was done is kept. "
                "Run again with BRIDGEWORK_DEBUG=1 to see details, and report it."
            ) from None

    return wrapper  # type: ignore[return-value]


def command(name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a CLI command with one-line error handling."""

    def decorator(fn: F) -> F:
        app.command(name=name, **kwargs)(handle_errors(fn))
        return fn

    return decorator


def print_json(data: Any) -> None:
    """Print JSON to stdout (no colour, no wrapping), Decimals and dates as strings."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
