"""Each package's public surface is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "mapper": {"FIELD_TYPES", "BridgeworkError", "ConfigError", "DestinationError", "Entity", "EntityMap", "Field",
               "FieldMap", "FieldType", "MappingSpec", "Profiler", "Schema", "SchemaChange", "SourceError", "SpecError",
               "ValueProfile", "infer_type", "mask", "profile_records"},
    "connectors": {"DESTINATION_KINDS", "MODIFIED_AT", "SOURCE_KINDS", "Capabilities", "DestRecord", "Destination",
                   "Outcome", "Page", "Record", "Source", "external_id", "open_destination", "open_source"},
    "executor": {"Workspace"},
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


def test_mapper_imports_nothing_of_ours_above_it() -> None:
    import subprocess
    import sys

    code = "import sys, mapper, mapper.spec, mapper.plan, mapper.transforms, mapper.propose, mapper.naming; " \
           "print(sorted({m.split('.')[0] for m in sys.modules} & {'connectors', 'executor', 'ui'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_connectors_do_not_import_the_executor_or_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, connectors, connectors.destinations.twenty, connectors.destinations.odoo, "
            "connectors.destinations.salesforce, connectors.destinations.dynamics, connectors.sources.dentrix, "
            "connectors.sources.dentally, connectors.sources.csvsource, connectors.emulators.twenty, "
            "connectors.emulators.odoo, connectors.emulators.dentally; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'executor', 'ui'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
