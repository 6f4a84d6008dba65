"""Checks for parsed JSON/YAML from untrusted files, run before anything is stored or sent to a model.

``json.loads`` accepts escapes of lone UTF-16 surrogates (``"\\ud800"``), which cannot be encoded as
UTF-8 and so fail later (SQLite, hashing) far from the line at fault; and it accepts nesting as deep as
the interpreter's recursion limit, deeper than the recursive code downstream (rendering, YAML output)
can walk.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape that may decode to a lone surrogate: texts without one need no walk.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def check_value(value: Any, max_depth: int | None = MAX_DEPTH) -> None:
    """Raise ``ValueError`` if ``value`` holds a string with a lone surrogate (in a value or a key) or
    nests lists/objects more than ``max_depth`` levels (None: no limit).

    Iterative, and each container is visited once (YAML aliases share nodes; they may even form cycles).
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            match = _SURROGATE.search(item)
            if match:
                raise ValueError(f"invalid Unicode: a lone surrogate \\u{ord(match.group()):04x} in a string")
        elif isinstance(item, (dict, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if max_depth is not None and depth > max_depth:
                raise ValueError(f"nested too deeply (more than {max_depth} levels)")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
