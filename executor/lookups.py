"""Relation lookups for staging: source id -> destination id, or a stand-in while nothing is loaded yet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

PENDING = "\x00pending"
"""A same-map reference that will load later in this pass: left out now, filled by the second pass."""


class Echo(Mapping[str, str]):
    """A lookup that resolves every source id to itself (for passes where relations do not matter)."""

    def __getitem__(self, key: str) -> str:
        return key

    def get(self, key: str, default: Any = None) -> str:
        return key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class Orphans(Mapping[str, str]):
    """A same-map lookup: loaded ids resolve; ids that will load later are 'pending'; the rest are missing."""

    def __init__(self, loaded: Mapping[str, str], ready: set[str], merged: Mapping[str, str]) -> None:
        self.loaded, self.ready, self.merged = loaded, ready, merged

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.loaded:
            return self.loaded[key]
        return PENDING if self.merged.get(key, key) in self.ready else default

    def __iter__(self) -> Iterator[str]:
        return iter(self.loaded)

    def __len__(self) -> int:
        return len(self.loaded)
