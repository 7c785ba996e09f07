"""The scorer: every signal as one [source field x destination field] matrix, combined and calibrated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mapper.propose import embeddings
from mapper.propose.calibration import Calibration, load_calibration
from mapper.propose.dental import knowledge_matrix
from mapper.propose.entities import Placement, entity_prior, place_entities
from mapper.propose.explain import explain
from mapper.propose.knowledge import skip_rules
from mapper.propose._text import key
from mapper.propose.names import name_matrix
from mapper.propose.settings import Candidate, ProposerSettings
from mapper.propose.templates import TemplateStore
from mapper.propose.types import type_matrix
from mapper.schema import Entity, Field, Schema

Decision = tuple[str, str]
"""("match" | "custom" | "skip", reason)."""


def combine(feats: dict[str, NDArray[np.float64]], cal: Calibration, disabled: frozenset[str]) -> NDArray[np.float64]:
    """Raw score in (0, 1): logistic over the enabled features plus the gap to the row's best."""
    w = cal.weights
    shape = next(iter(feats.values())).shape
    z = np.full(shape, w["bias"])
    for name in ("name", "embedding", "type", "knowledge", "template", "entity"):
        if name not in disabled and name in feats:
            z = z + w[name] * feats[name]
    if "type" not in disabled and "type" in feats:
        z = z + w["incompatible"] * (feats["type"] < 0.25)
    if "readonly" in feats:
        z = z + w["readonly"] * feats["readonly"]
    if shape[1] > 1:
        top2 = -np.sort(-z, axis=1)[:, :2]
        best, second = top2[:, :1], top2[:, 1:2]
        gap = np.where(z >= best, z - second, z - best)
    else:
        gap = np.zeros(shape)
    z = z + w["gap"] * np.clip(gap, -4, 4)
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
    return out


def source_groups(source: Schema, src: Sequence[tuple[Entity, Field]]) -> NDArray[np.int64]:
    """The source entity index of every source row."""
    index = {e.name: n for n, e in enumerate(source.entities)}
    return np.array([index[e.name] for e, _ in src], dtype=np.int64)


@dataclass
class ScoreTable:
    """Everything the proposer knows about one (source, destination) pair, computed once."""

    source: Schema
    destination: Schema
    destination_kind: str
    settings: ProposerSettings
    placements: dict[str, list[Placement]]
    src: list[tuple[Entity, Field]]
    tgt: list[tuple[Entity, Field]]
    feats: dict[str, NDArray[np.float64]]
    raw: NDArray[np.float64]
    score: NDArray[np.float64]
    calibration: Calibration

    @classmethod
    def build(cls, source: Schema, destination: Schema, destination_kind: str, settings: ProposerSettings) -> ScoreTable:
        """Compute every signal matrix and the calibrated scores."""
        cal = settings.calibration or load_calibration()
        src = [(e, f) for e in source.entities for f in e.fields]
        tgt = [(e, f) for e in destination.entities for f in e.fields]
        embed = None
        if settings.on("embedding"):
            if settings.progress and not embeddings.model_loaded():
                settings.progress("Loading the embedding model ...")

            def embed(texts: Sequence[str]) -> NDArray[np.float32]:
                return embeddings.embed(texts, settings.cache_dir)

        placements = place_entities(source, destination, destination_kind, embed)
        feats: dict[str, NDArray[np.float64]] = {}
        sfields = [f for _, f in src]
        tfields = [f for _, f in tgt]
        spairs = [(e.name, f.name) for e, f in src]
        tpairs = [(e.name, f.name) for e, f in tgt]
        if settings.on("name"):
            feats["name"] = name_matrix(sfields, tfields)
        if embed is not None:
            if settings.progress:
                settings.progress("Embedding field descriptions ...")
            sv = embed([embeddings.field_text(e, f) for e, f in src])
            tv = embed([embeddings.field_text(e, f) for e, f in tgt])
            feats["embedding"] = embeddings.similarity(sv, tv)
        if settings.on("type"):
            feats["type"] = type_matrix(sfields, tfields)
        if settings.on("knowledge"):
            feats["knowledge"] = knowledge_matrix([(e.name, f.name, f.description) for e, f in src], tpairs)
        if settings.on("template"):
            store = settings.templates if settings.templates is not None else TemplateStore.load()
            feats["template"] = store.matrix(destination_kind, spairs, tpairs)
        if settings.on("entity"):
            prior = entity_prior(placements, source, destination)
            si = {e.name: i for i, e in enumerate(source.entities)}
            ti = {e.name: j for j, e in enumerate(destination.entities)}
            rows = np.array([si[e.name] for e, _ in src], dtype=np.int64)
            cols = np.array([ti[e.name] for e, _ in tgt], dtype=np.int64)
            feats["entity"] = prior[rows[:, None], cols[None, :]] if len(rows) and len(cols) else np.zeros((len(src), len(tgt)))
        # Server-set fields (createdBy, updatedAt, ...) rarely take a source value.
        feats["readonly"] = np.broadcast_to(np.array([1.0 if f.readonly else 0.0 for f in tfields]), (len(src), len(tgt)))
        if not feats or not src or not tgt:
            feats.setdefault("name", np.zeros((len(src), len(tgt))))
        raw = combine(feats, cal, settings.disabled) if src and tgt else np.zeros((len(src), len(tgt)))
        groups = source_groups(source, src)
        score = cal.scores(raw, {k: v for k, v in feats.items() if k not in settings.disabled}, groups)
        return cls(source, destination, destination_kind, settings, placements, src, tgt, feats, raw, score, cal)

    def order(self, i: int, columns: NDArray[np.int64] | None = None) -> list[int]:
        """Target columns for source row i, best first; ties broken by destination entity and field name."""
        cols = np.arange(len(self.tgt)) if columns is None else columns
        if not len(cols):
            return []
        k = min(len(cols), max(self.settings.top_k, self.settings.llm_top_k) * 3)
        # The calibrated score is a step function of raw: select on raw so ties cannot cut arbitrarily.
        part = cols[np.argpartition(-self.raw[i, cols], k - 1)[:k]] if k < len(cols) else cols
        return sorted((int(j) for j in part),
                      key=lambda j: (-round(float(self.score[i, j]), 9), -float(self.raw[i, j]),
                                     self.tgt[j][0].name, self.tgt[j][1].name))

    def candidate(self, i: int, j: int, score: float | None = None) -> Candidate:
        """The Candidate for cell (i, j) with its one-line explanation."""
        e, f = self.tgt[j]
        s = float(self.score[i, j]) if score is None else score
        return Candidate(e.name, f.name, round(s, 4), explain(self, i, j))

    def row_of(self, entity: str, field: str) -> int:
        """The source row index of entity.field."""
        for i, (e, f) in enumerate(self.src):
            if e.name == entity and f.name == field:
                return i
        raise KeyError(f"{entity}.{field}")

    def skip_reason(self, i: int) -> str:
        """Why source row i should not migrate by default ('' when it should)."""
        e, f = self.src[i]
        placements = self.placements.get(e.name, [])
        if placements and placements[0].kind == "skip":
            return f"entity skipped: {placements[0].why}"
        k = key(f.name)
        for rule in skip_rules():
            if rule.pattern.search(k):
                if not self.settings.privacy_skip and rule.reason.startswith("privacy"):
                    continue
                return rule.reason
        if f.type == "file":
            return "binary content: carried as a file reference, not a field"
        return ""

    def home_columns(self, i: int) -> NDArray[np.int64] | None:
        """Target columns of the objects source row i's entity lands in (None: no placement known)."""
        placements = self.placements.get(self.src[i][0].name, [])
        targets = {p.target for p in placements if p.exists and p.kind != "skip"}
        if not placements:
            return None
        return np.array([j for j, (e, _) in enumerate(self.tgt) if e.name in targets], dtype=np.int64)

    def decide(self, i: int, best: float | None = None) -> Decision:
        """match / custom / skip for source row i; `best` defaults to its best score where its entity lands."""
        reason = self.skip_reason(i)
        if reason:
            return "skip", reason
        if best is None:
            home = self.home_columns(i)
            cols = home if home is not None else np.arange(len(self.tgt))
            best = float(self.score[i, cols].max()) if len(cols) else 0.0
            if not len(cols):
                return "custom", "the entity needs a custom object: every field becomes a custom field"
        if best < self.calibration.no_match:
            return "custom", f"no destination field fits well enough (best {best:.2f}): create a custom field"
        return "match", ""
