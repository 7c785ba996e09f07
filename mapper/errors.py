"""The root of every error bridgework shows a person: one line, what happened, then what to do."""

from __future__ import annotations


class BridgeworkError(Exception):
    """An error whose str() is one line a practice admin can act on.

    Never put record values, response bodies or secrets in the message: name the entity,
    field, source id and status instead.
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message.strip().replace("\n", " ")
        self.hint = hint.strip().replace("\n", " ")
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class ConfigError(BridgeworkError):
    """The workspace, its settings or a credential is missing or wrong."""


class SourceError(BridgeworkError):
    """The source system could not be read."""


class DestinationError(BridgeworkError):
    """The destination refused or could not be reached."""


class SpecError(BridgeworkError):
    """mapping.yaml is invalid, stale or not confirmed."""
