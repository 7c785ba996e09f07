"""MappingSpec: the YAML contract between review (person) and executor (machine).

One file per workspace, `mapping.yaml`. Per source entity map: the destination object,
the relation handling, and per field: target field or custom field or skip, the transform
chain, a status (proposed / confirmed / rejected) and who decided it when.

Stale decisions: `validate_against` never changes the spec. It returns `SpecIssue`s; those
with `stale=True` are confirmed maps whose source or destination field no longer exists.
`check_ready` refuses to load while any is open, and `reopen_stale` sets them back to
`proposed` with the issue as `decision.reason`, so a person reviews them again.
"""

from __future__ import annotations

from mapper._spec_model import (
    CUSTOM_PREFIX,
    SPEC_FORMAT,
    Candidate,
    CustomFieldDef,
    Decision,
    EntityKind,
    EntityMap,
    FieldKind,
    FieldMap,
    MappingSpec,
    SpecValidationError,
    Status,
    TransformStep,
    check_spec,
    now_utc,
)
from mapper._spec_ops import (
    CONFIRM_HINT,
    DecisionResult,
    FieldRef,
    SpecIssue,
    check_ready,
    confirm,
    dependency_order,
    format_issues,
    merge_proposals,
    reject,
    reopen_stale,
    schema_hash,
    select,
    set_target,
    validate_against,
)

__all__ = [
    "CONFIRM_HINT",
    "CUSTOM_PREFIX",
    "SPEC_FORMAT",
    "Candidate",
    "CustomFieldDef",
    "Decision",
    "DecisionResult",
    "EntityKind",
    "EntityMap",
    "FieldKind",
    "FieldMap",
    "FieldRef",
    "MappingSpec",
    "SpecIssue",
    "SpecValidationError",
    "Status",
    "TransformStep",
    "check_ready",
    "check_spec",
    "confirm",
    "dependency_order",
    "format_issues",
    "merge_proposals",
    "now_utc",
    "reject",
    "reopen_stale",
    "schema_hash",
    "select",
    "set_target",
    "validate_against",
]
