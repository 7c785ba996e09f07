"""Secrets come from the environment or the OS keyring, never from a file bridgework writes."""

from __future__ import annotations

import os

from mapper.errors import ConfigError

KEYRING_SERVICE = "bridgework"


def secret(name: str) -> str | None:
    """The secret called `name` (an environment variable name) from the environment, else the keyring."""
    value = os.environ.get(name)
    if value:
        return value
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # no keyring backend on this machine: the environment is the only source
        return None


def require_secret(name: str, what: str) -> str:
    """The secret, or a one-line error saying how to provide it."""
    value = secret(name)
    if not value:
        raise ConfigError(
            f"No {what} found.",
            hint=f"Set the environment variable {name}, or store it in the OS keyring: "
            f"keyring set {KEYRING_SERVICE} {name}",
        )
    return value


def store_secret(name: str, value: str) -> bool:
    """Put a secret in the keyring when one is available, else in this process's environment only."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, name, value)
        return True
    except Exception:
        os.environ[name] = value
        return False
