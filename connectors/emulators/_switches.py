"""What every emulator's fault switches share: typed updates, environment variables, a dropped connection."""

from __future__ import annotations

import os
from dataclasses import fields
from typing import Any, ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV_PREFIX = "BRIDGEWORK_EMULATOR_"
_TRUE = ("1", "true", "yes", "on")


class SwitchBoard:
    """Mixin for a dataclass of switches: set from keyword arguments, environment strings or JSON."""

    system: ClassVar[str] = "emulator"

    def update(self, values: dict[str, Any]) -> None:
        """Set switches by name, converting strings to each field's type; unknown names are an error."""
        known = {f.name: str(f.type) for f in fields(self)}  # type: ignore[arg-type]
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown {self.system} emulator switch '{name}'; known: {', '.join(sorted(known))}")
            kind = known[name]
            if kind == "bool":
                value = value.strip().lower() in _TRUE if isinstance(value, str) else bool(value)
            elif kind in ("int", "float"):
                value = (int if kind == "int" else float)(value)
            setattr(self, name, value)
        self.check()

    def check(self) -> None:
        """Reject impossible combinations (subclasses say which)."""

    @classmethod
    def from_env(cls) -> dict[str, str]:
        """BRIDGEWORK_EMULATOR_<NAME> variables naming one of these switches."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return {k[len(ENV_PREFIX):].lower(): v for k, v in os.environ.items()
                if k.startswith(ENV_PREFIX) and k[len(ENV_PREFIX):].lower() in names}


async def drop_after_commit(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run the request to the end (it commits), then send half a response and hang up."""
    captured: list[Message] = []

    async def capture(message: Message) -> None:
        captured.append(message)

    await app(scope, receive, capture)
    body = b"".join(m.get("body", b"") for m in captured[1:])
    await send(captured[0])
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    # returning with the response incomplete makes uvicorn close the connection
