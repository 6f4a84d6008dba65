"""LangGraph and LangMem on a langmem database: ``LangmemStore`` is a LangGraph ``BaseStore``.

Needs the ``langgraph`` extra (``pip install 'langmem-cli[langgraph]'``)."""

from __future__ import annotations

try:
    from langmem_cli.langgraph.store import LangmemStore
except ImportError as exc:  # pragma: no cover - the extra is missing
    if "langgraph" not in str(exc):
        raise
    raise ImportError("langmem_cli.langgraph needs LangGraph: pip install 'langmem-cli[langgraph]'") from exc

__all__ = ["LangmemStore"]
