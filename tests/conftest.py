"""Test-wide settings: offline models, no user state touched, no keyring prompts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No OS keyring in tests: secrets come from the environment only.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(autouse=True, scope="session")
def _bridgework_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Templates and caches go to a temporary BRIDGEWORK_HOME, never the user's."""
    home = tmp_path_factory.mktemp("bwhome")
    old = os.environ.get("BRIDGEWORK_HOME")
    os.environ["BRIDGEWORK_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("BRIDGEWORK_HOME", None)
    else:
        os.environ["BRIDGEWORK_HOME"] = old
