"""The transform machinery: context, errors, the registry and the chain runner."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from mapper.errors import BridgeworkError
from mapper.schema import Field

TransformFn = Callable[..., Any]
"""`fn(value, ctx, /, **args) -> value`: pure, typed, raises TransformError to reject a record. It never reads
`ctx.record`: Chain remembers each result per distinct input value."""

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
        value = _run_step(step.name, REGISTRY.get(step.name), step.args, value, ctx)
    return value


def _run_step(name: str, fn: TransformFn | None, args: Mapping[str, Any], value: Any, ctx: TransformContext) -> Any:
    try:
        if fn is None:
            raise TypeError(name)
        return fn(value, ctx, **args)
    except TypeError:
        problem = check_step(name, args)
        if problem is None:
            raise
        raise TransformError("bad_transform", f"mapping.yaml: {problem}.", hint="Fix the transform in mapping.yaml.") from None


Outcome = tuple[Any, tuple[TransformWarning, ...]]
"""A chain's result and the warnings it raised."""

_PLAIN = frozenset({str, int, bool, float, type(None), Decimal, date, datetime})
_NO_KEY = object()
MEMO_SIZE = 4096
"""Distinct inputs remembered per chain (bounded, so memory stays flat on high-cardinality columns)."""
_TRIAL = 1024
"""Look-ups after which a chain that mostly misses stops remembering (notes, amounts, timestamps)."""


def _memo_key(value: Any) -> Any:
    """A key equal only for inputs every transform treats alike (1, 1.0, True and Decimal('1.0') differ)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is bool or kind is date or value is None:
        return (kind, value)
    if kind is datetime:
        return (kind, value, value.tzinfo, value.fold)
    if kind is Decimal:
        return (kind, str(value))  # str keeps the exponent and sign: Decimal('1.0') and Decimal('1') differ
    if kind is float:
        return (kind, repr(value))
    if kind is list or kind is tuple:
        keys = tuple(_memo_key(v) for v in value)
        return _NO_KEY if _NO_KEY in keys else (kind, keys)
    return _NO_KEY


def _immutable(value: Any) -> bool:
    kind = type(value)
    return kind in _PLAIN or kind is tuple and all(type(v) in _PLAIN for v in value)


@dataclass(frozen=True, slots=True)
class _Rejected:
    code: str
    message: str
    hint: str


class Chain:
    """A field map's transform chain compiled once: `chain(value)` -> (result, warnings); TransformError rejects.

    Transforms are pure functions of the value, their arguments, the target field, region and
    time zone (none reads `ctx.record`), so results are remembered per distinct input: most
    columns hold few distinct values (phones, e-mails and dates are parsed once each).
    """

    __slots__ = ("_steps", "_target", "_region", "_timezone", "_memo", "hits", "_misses")

    def __init__(self, steps: Sequence[Step], target: Field | None = None, *, region: str = "US",
                 timezone: str = "UTC") -> None:
        self._steps = tuple((s.name, REGISTRY.get(s.name), dict(s.args)) for s in steps)
        self._target, self._region, self._timezone = target, region, timezone
        self._memo: dict[Any, Outcome | _Rejected] | None = {}
        self.hits = self._misses = 0

    @property
    def memo(self) -> Mapping[Any, Any] | None:
        """Remembered results by input (a text input is its own key; an outcome tuple, or a rejection with
        code, message and hint), or None when this chain stopped remembering. A caller that finds a result there
        adds one to `hits` (the chain keeps remembering while hits pay)."""
        return self._memo

    key = staticmethod(_memo_key)
    """The key `memo` holds an input under (a text input is its own key)."""

    def run(self, value: Any, record: Mapping[str, Any] | None = None) -> Outcome:
        """Every step on `value`, without remembering."""
        ctx = TransformContext(record=record or {}, target=self._target, region=self._region, timezone=self._timezone)
        for name, fn, args in self._steps:
            value = _run_step(name, fn, args, value, ctx)
        return value, tuple(ctx.warnings)

    def __call__(self, value: Any, record: Mapping[str, Any] | None = None) -> Outcome:
        memo = self._memo
        if memo is None:
            return self.run(value, record)
        key = _memo_key(value)
        if key is _NO_KEY:
            return self.run(value, record)
        found = memo.get(key)
        if found is not None:
            self.hits += 1
            if type(found) is _Rejected:
                raise TransformError(found.code, found.message, hint=found.hint)
            return found  # type: ignore[return-value]
        self._misses += 1
        if self._misses == _TRIAL and self.hits < self._misses:
            self._memo = None  # mostly distinct values: remembering costs more than it saves
        try:
            outcome = self.run(value, record)
        except TransformError as exc:
            if len(memo) < MEMO_SIZE:
                memo[key] = _Rejected(exc.code, exc.message, exc.hint)
            raise
        if len(memo) < MEMO_SIZE and _immutable(outcome[0]):
            memo[key] = outcome
        return outcome


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
