"""Mapping-accuracy metrics over ranked candidates: HitRate@k, MRR, auto-accept precision/coverage,
correct no-match rate, and the rows a reliability curve is drawn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evals.runner import Case, Query


def _targets(case: Case, q: Query, kinds: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(g.tgt_ent, g.tgt_att) for g in case.gold_for(q.src_ent, q.src_att) if g.kind in kinds}


def rank_of(case: Case, q: Query) -> int | None:
    """1-based rank of the first gold direct/relation target among the candidates (None: not in the list)."""
    gold = _targets(case, q, ("direct", "relation"))
    for n, c in enumerate(q.candidates, start=1):
        if (c.tgt_ent, c.tgt_att) in gold:
            return n
    return None


@dataclass(frozen=True, slots=True)
class Metrics:
    """Scores of one run over one or more cases."""

    n_match: int
    hit1: float
    hit3: float
    hit5: float
    mrr: float
    n_nomatch: int
    nomatch_correct: float
    auto_precision: float
    auto_coverage: float
    auto_precision_match_rows: float
    """Precision over direct/relation rows only (custom/skip rows accepted as matches not counted)."""

    def as_dict(self) -> dict[str, float]:
        """The --json metrics block (plus extra keys)."""
        return {"hit@1": round(self.hit1, 4), "hit@3": round(self.hit3, 4), "hit@5": round(self.hit5, 4),
                "mrr": round(self.mrr, 4), "n": self.n_match, "no_match_correct": round(self.nomatch_correct, 4),
                "n_no_match": self.n_nomatch, "auto_accept_precision": round(self.auto_precision, 4),
                "auto_accept_coverage": round(self.auto_coverage, 4),
                "auto_accept_precision_match_rows": round(self.auto_precision_match_rows, 4)}


def score(pairs: Sequence[tuple[Case, Sequence[Query]]], auto_accept: float) -> Metrics:
    """Metrics over every (case, its queries).

    Auto-accept precision counts every proposal at or above the threshold, including custom/skip
    rows wrongly proposed as a match; coverage is the share of direct/relation rows auto-accepted.
    """
    ranks: list[int | None] = []
    nomatch: list[bool] = []
    accepted: list[bool] = []
    wrong_accepts = 0  # custom/skip rows a person would have seen auto-accepted as a match
    for case, queries in pairs:
        for q in queries:
            gold = case.gold_for(q.src_ent, q.src_att)
            if not gold:
                continue
            if any(g.kind in ("direct", "relation") for g in gold):
                r = rank_of(case, q)
                ranks.append(r)
                top = q.candidates[0] if q.candidates else None
                if q.decision == "match" and top is not None and top.score >= auto_accept:
                    accepted.append(r == 1)
            else:
                nomatch.append(q.decision != "match")
                top = q.candidates[0] if q.candidates else None
                if q.decision == "match" and top is not None and top.score >= auto_accept:
                    wrong_accepts += 1
    n = len(ranks)

    def hit(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n if n else 0.0

    mrr = sum(1.0 / r for r in ranks if r is not None) / n if n else 0.0
    n_accepted = len(accepted) + wrong_accepts
    return Metrics(n, hit(1), hit(3), hit(5), mrr, len(nomatch), (sum(nomatch) / len(nomatch)) if nomatch else 0.0,
                   (sum(accepted) / n_accepted) if n_accepted else 0.0, (len(accepted) / n) if n else 0.0,
                   (sum(accepted) / len(accepted)) if accepted else 0.0)


def labelled_candidates(pairs: Sequence[tuple[Case, Sequence[Query]]], depth: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(score, correct) for the top `depth` candidates of every query that has gold (for calibration curves)."""
    xs: list[float] = []
    ys: list[float] = []
    for case, queries in pairs:
        for q in queries:
            gold_rows = case.gold_for(q.src_ent, q.src_att)
            if not gold_rows:
                continue
            gold = {(g.tgt_ent, g.tgt_att) for g in gold_rows if g.kind in ("direct", "relation")}
            for c in q.candidates[:depth]:
                xs.append(c.score)
                ys.append(1.0 if (c.tgt_ent, c.tgt_att) in gold else 0.0)
    return np.array(xs), np.array(ys)


def reliability(x: np.ndarray, y: np.ndarray, bins: int = 10) -> list[tuple[float, float, float, int]]:
    """(bin low, bin high, observed accuracy, count) for equal-width score bins with rows."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (x >= lo) & ((x < hi) if b < bins - 1 else (x <= hi))
        if mask.any():
            out.append((lo, hi, float(y[mask].mean()), int(mask.sum())))
    return out


def expected_calibration_error(x: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - mean score| over bins."""
    if not len(x):
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (x >= lo) & ((x < hi) if b < bins - 1 else (x <= hi))
        if mask.any():
            total += mask.sum() * abs(float(y[mask].mean()) - float(x[mask].mean()))
    return total / len(x)
