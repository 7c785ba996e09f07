"""ProposerSettings and the Candidate record every signal ends in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapper.propose.calibration import Calibration
from mapper.propose.templates import TemplateStore

SIGNALS: tuple[str, ...] = ("name", "embedding", "type", "knowledge", "template", "entity")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked destination field for a source field."""

    tgt_ent: str
    tgt_att: str
    score: float
    why: str = ""

    @property
    def target(self) -> str:
        """`entity.field`."""
        return f"{self.tgt_ent}.{self.tgt_att}"


@dataclass(frozen=True)
class ProposerSettings:
    """Knobs of one proposal run (the same settings and inputs always give the same output)."""

    disabled: frozenset[str] = frozenset()
    """Signals switched off (`embedding` off makes unit tests fast; ablation switches off one at a time)."""
    templates: TemplateStore | None = None
    """Templates to use; None loads $BRIDGEWORK_HOME/templates.json (unless `template` is disabled)."""
    cache_dir: Path | None = None
    """Embedding cache folder (the workspace's .cache); None uses $BRIDGEWORK_HOME/embeddings."""
    calibration: Calibration | None = None
    top_k: int = 20
    privacy_skip: bool = True
    """Propose skip for SSN, driver's licence and similar identifiers unless the practice names a use."""
    llm_model: str | None = None
    llm_masked_samples: bool = False
    llm_top_k: int = 10
    llm_timeout: float = 30.0
    llm_completion: Callable[..., Any] | None = field(default=None, compare=False)
    """Injected completion function (tests); default litellm.completion."""
    progress: Callable[[str], None] | None = field(default=None, compare=False)

    def on(self, signal: str) -> bool:
        """True when `signal` is enabled."""
        return signal not in self.disabled
