"""The transform machinery: context, errors, the registry and the chain runner."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mapper.errors import BridgeworkError
from mapper.schema import Field

TransformFn = Callable[..., Any]
"""`fn(value, ctx, /, **args) -> value`: pure, typed, raises TransformError to reject a record."""

REGISTRY: dict[str, TransformFn] = {}


class TransformError(BridgeworkError):
    """A record-level rejection: `code` is machine-readable; the message never holds the value."""

    def __init__(self, code: str, message: str, *, hint: str = "") -> None:
        self.code = code
        super().__init__(message, hint=hint)


@dataclass(frozen=True, slots=True)
class TransformWarning:
    """Something a transform changed but did not reject (e.g. `truncated`); no values inside."""

    code: str
    message: str


@dataclass(slots=True)
class TransformContext:
    """What a transform may know besides its value: the whole source record and the target field."""

    record: Mapping[str, Any] = field(default_factory=dict)
    target: Field | None = None
    region: str = "US"
    timezone: str = "UTC"
    warnings: list[TransformWarning] = field(default_factory=list)

    def warn(self, code: str, message: str) -> None:
        """Record a warning for the correction report."""
        self.warnings.append(TransformWarning(code, message))


class Step(Protocol):
    """Anything with a transform name and its arguments (mapper.spec.TransformStep is one)."""

    @property
    def name(self) -> str: ...

    @property
    def args(self) -> Mapping[str, Any]: ...


def transform(name: str | None = None) -> Callable[[TransformFn], TransformFn]:
    """Register a function under `name` (default: its own name)."""

    def decorator(fn: TransformFn) -> TransformFn:
        REGISTRY[name or fn.__name__.rstrip("_")] = fn
        return fn

    return decorator


def check_step(name: str, args: Mapping[str, Any]) -> str | None:
    """Why a step cannot run (unknown name, unknown or missing argument), or None when it can."""
    fn = REGISTRY.get(name)
    if fn is None:
        close = sorted(n for n in REGISTRY if n[:3] == name[:3])
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"unknown transform '{name}'{hint}"
    try:
        inspect.signature(fn).bind(None, None, **args)
    except TypeError as exc:
        return f"transform '{name}': {exc}"
    return None


def run_chain(steps: Sequence[Step], value: Any, ctx: TransformContext) -> Any:
    """Apply each step to the previous step's result; TransformError rejects the record."""
    for step in steps:
        fn = REGISTRY.get(step.name)
        try:
            if fn is None:
                raise TypeError(step.name)
            value = fn(value, ctx, **step.args)
        except TypeError:
            problem = check_step(step.name, step.args)
            if problem is None:
                raise
            raise TransformError("bad_transform", f"mapping.yaml: {problem}.", hint="Fix the transform in mapping.yaml.") from None
    return value


def is_empty(value: Any) -> bool:
    """None, an empty/blank string, or an empty sequence."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return all(is_empty(v) for v in value)
    return False


def target_label(ctx: TransformContext) -> str:
    """The target field's name for messages ("value" when unknown)."""
    return ctx.target.name if ctx.target is not None else "value"
