"""Sources (read only), destinations (over HTTP) and the local emulators, behind two protocols."""

from __future__ import annotations

from connectors.base import MODIFIED_AT, Capabilities, DestRecord, Destination, Outcome, Page, Record, Source, external_id
from connectors.registry import DESTINATION_KINDS, SOURCE_KINDS, open_destination, open_source

__all__ = [
    "DESTINATION_KINDS",
    "MODIFIED_AT",
    "SOURCE_KINDS",
    "Capabilities",
    "DestRecord",
    "Destination",
    "Outcome",
    "Page",
    "Record",
    "Source",
    "external_id",
    "open_destination",
    "open_source",
]
