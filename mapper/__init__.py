"""The metadata model, value profiles and the MappingSpec (the proposer is mapper.propose)."""

from __future__ import annotations

from mapper.errors import BridgeworkError, ConfigError, DestinationError, SourceError, SpecError
from mapper.profile import Profiler, infer_type, mask, profile_records
from mapper.schema import FIELD_TYPES, Entity, Field, FieldType, Schema, SchemaChange, ValueProfile
from mapper.spec import EntityMap, FieldMap, MappingSpec

__all__ = [
    "FIELD_TYPES",
    "BridgeworkError",
    "ConfigError",
    "DestinationError",
    "Entity",
    "EntityMap",
    "Field",
    "FieldMap",
    "FieldType",
    "MappingSpec",
    "Profiler",
    "Schema",
    "SchemaChange",
    "SourceError",
    "SpecError",
    "ValueProfile",
    "infer_type",
    "mask",
    "profile_records",
]
