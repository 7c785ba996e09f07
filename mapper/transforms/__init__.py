"""Named, pure transforms a field map's chain refers to (mapping.yaml `transforms: [{name, args}]`)."""

from __future__ import annotations

from mapper.transforms import _codes, _contact, _dates, _money, _text, _units  # noqa: F401  (they register)
from mapper.transforms._codes import VOCABULARIES, code_key
from mapper.transforms._core import (
    REGISTRY,
    Chain,
    Outcome,
    Step,
    TransformContext,
    TransformError,
    TransformFn,
    TransformWarning,
    check_step,
    run_chain,
)
from mapper.transforms._dates import OUTPUT_FORMATS, detect_date_format
from mapper.transforms._money import parse_money
from mapper.transforms._predicates import PREDICATES, Predicate

__all__ = [
    "Chain",
    "OUTPUT_FORMATS",
    "Outcome",
    "PREDICATES",
    "Predicate",
    "REGISTRY",
    "VOCABULARIES",
    "Step",
    "TransformContext",
    "TransformError",
    "TransformFn",
    "TransformWarning",
    "check_step",
    "code_key",
    "detect_date_format",
    "parse_money",
    "run_chain",
]
