"""Registers the scripted fake model (support/fake_llm.py) by name, without importing it (nor
litellm): ``LANGMEM_LITELLM_PROVIDERS`` names it, and tests/ goes on ``PYTHONPATH`` so that
subprocesses find it. The package imports it only when a ``fake/`` model is asked for."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
PROVIDER = "fake=support.fake_llm:FakeProvider"


def register(environ=os.environ) -> None:
    """Make ``fake/NAME`` available in this process and in the subprocesses it starts with
    ``environ``: the provider named in LANGMEM_LITELLM_PROVIDERS, tests/ on PYTHONPATH."""
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    providers = [p for p in environ.get("LANGMEM_LITELLM_PROVIDERS", "").split(",") if p and not p.startswith("fake=")]
    environ["LANGMEM_LITELLM_PROVIDERS"] = ",".join([*providers, PROVIDER])
    paths = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(TESTS_DIR) not in paths:
        environ["PYTHONPATH"] = os.pathsep.join([*paths, str(TESTS_DIR)])
