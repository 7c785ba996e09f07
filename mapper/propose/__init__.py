"""The mapping proposer: entity placement, ranked field candidates with calibrated scores, explanations."""

from __future__ import annotations

from mapper.propose.calibration import Calibration, load_calibration
from mapper.propose.proposer import guess_destination_kind, propose, rank, ranked
from mapper.propose.scorer import ScoreTable
from mapper.propose.settings import SIGNALS, Candidate, ProposerSettings
from mapper.propose.templates import TemplateStore, learn

__all__ = [
    "SIGNALS",
    "Calibration",
    "Candidate",
    "ProposerSettings",
    "ScoreTable",
    "TemplateStore",
    "guess_destination_kind",
    "learn",
    "load_calibration",
    "propose",
    "rank",
    "ranked",
]
