"""Optional LLM re-ranker (litellm, any provider): re-orders the top candidates of a field using schema
metadata only. Record values never leave the machine unless the user opted in to masked samples, and
then only the masked examples of the value profile. Any failure falls back to the non-LLM ranking."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from mapper.propose.settings import Candidate, ProposerSettings
from mapper.schema import Entity, Field

_SYSTEM = (
    "You are a senior data-migration consultant mapping a dental practice-management system into a CRM. "
    "Given one source field and numbered candidate destination fields, order the candidates from best to worst fit. "
    'Answer with JSON only: {"order": [candidate numbers, best first]}.'
)


def _profile_facts(field: Field, masked_samples: bool) -> list[str]:
    p = field.profile
    if p is None or p.count == 0:
        return []
    facts = [f"empty {p.null_rate:.0%}", f"distinct {p.distinct_rate:.0%}", f"length {p.min_length}-{p.max_length}"]
    facts += [f"{name} {share:.0%}" for name, share in sorted(p.patterns.items()) if share >= 0.2]
    if p.date_format:
        facts.append(f"date format {p.date_format}")
    if masked_samples and p.examples:
        facts.append("masked examples: " + " | ".join(p.examples[:3]))
    return facts


def _describe(field: Field) -> str:
    bits = [f"type {field.type}"]
    if field.label and field.label != field.name:
        bits.append(f"label '{field.label}'")
    if field.description:
        bits.append(f"description '{field.description[:200]}'")
    if field.reference:
        bits.append(f"references {field.reference}")
    return ", ".join(bits)


def build_prompt(entity: Entity, field: Field, candidates: Sequence[tuple[Candidate, Field]],
                 masked_samples: bool) -> list[dict[str, str]]:
    """Chat messages holding schema metadata only (plus masked examples when opted in)."""
    lines = [f"Source entity: {entity.name}" + (f" ({entity.description[:200]})" if entity.description else ""),
             f"Source field: {field.name}, {_describe(field)}"]
    facts = _profile_facts(field, masked_samples)
    if facts:
        lines.append("Value profile: " + ", ".join(facts))
    lines.append("Candidates:")
    for n, (cand, tfield) in enumerate(candidates, start=1):
        lines.append(f"{n}. {cand.tgt_ent}.{cand.tgt_att}: {_describe(tfield)}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


def parse_order(text: str, n: int) -> list[int] | None:
    """Zero-based order from the model's answer; None when it is not usable."""
    match = re.search(r"\{.*\}", text or "", re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
        raw = data["order"]
        picks = [int(v) - 1 for v in raw]
    except (ValueError, KeyError, TypeError):
        return None
    seen: list[int] = []
    for p in picks:
        if 0 <= p < n and p not in seen:
            seen.append(p)
    if not seen:
        return None
    return seen + [k for k in range(n) if k not in seen]


# Consecutive failures per model; after _MAX_FAILURES the model is not called again in this process.
_failures: dict[str, int] = {}
_MAX_FAILURES = 3


def unavailable(model: str) -> bool:
    """True when `model` failed too often in this process and the non-LLM ranking is used."""
    return _failures.get(model, 0) >= _MAX_FAILURES


def _default_completion() -> Callable[..., Any]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True

    completion: Callable[..., Any] = litellm.completion
    return completion


def rerank(entity: Entity, field: Field, candidates: Sequence[tuple[Candidate, Field]],
           settings: ProposerSettings) -> list[Candidate]:
    """The candidates re-ordered by the LLM; on timeout, refusal or bad JSON, the original order."""
    original = [c for c, _ in candidates]
    if settings.llm_model is None or len(candidates) < 2 or unavailable(settings.llm_model):
        return original
    messages = build_prompt(entity, field, candidates, settings.llm_masked_samples)
    try:
        completion = settings.llm_completion or _default_completion()
        response = completion(model=settings.llm_model, messages=messages, timeout=settings.llm_timeout,
                              temperature=0, max_tokens=200)
        text = response.choices[0].message.content or ""
    except Exception:  # timeouts, auth, provider errors: the non-LLM ranking stands
        _failures[settings.llm_model] = _failures.get(settings.llm_model, 0) + 1
        return original
    _failures[settings.llm_model] = 0
    order = parse_order(str(text), len(original))
    if order is None:
        return original
    scores = sorted((c.score for c in original), reverse=True)
    out = []
    for pos, k in enumerate(order):
        c = original[k]
        why = c.why if k == pos else f"{c.why}; re-ranked by {settings.llm_model}"
        out.append(Candidate(c.tgt_ent, c.tgt_att, scores[pos], why))
    return out
