"""Import litellm with its network price-map fetch and telemetry off (it tries the network at
import otherwise). Every module that needs litellm imports it through ``litellm_module()``."""

from __future__ import annotations

import os


def litellm_module():
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm
