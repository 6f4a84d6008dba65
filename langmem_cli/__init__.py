"""langmem-cli: long-term memory for LLM applications from plain files.

The Python API is the same one the CLI uses::

    import langmem_cli
    langmem_cli.extract([{"role": "user", "content": "I prefer tea over coffee."}],
                        namespace="org/user_1", db="memories.db")
    hits = langmem_cli.search("what does the user drink?", namespace="org/user_1", db="memories.db")

    from langmem_cli import Store
    with Store.open("memories.db") as store:
        store.put("org/user_1", "Prefers tea over coffee")

LangGraph and LangMem: ``from langmem_cli.langgraph import LangmemStore`` (the ``langgraph`` extra).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Store", "Memory", "SearchHit", "extract", "search", "__version__"]


def _default_embedder(name: str | None = None):
    """The Python API's embedder: the configured model, loaded on first use."""
    from langmem_cli.embed.embedders import LazyEmbedder

    return LazyEmbedder(name)


from langmem_cli.core import interfaces as _interfaces  # noqa: E402 - light: no numpy

_interfaces.default_embedder = _default_embedder


def __getattr__(name: str):
    # Lazy so that `import langmem_cli` (and `langmem --help`) stays light.
    if name == "Store":
        from langmem_cli.store import Store

        return Store
    if name in ("extract", "search", "Extraction", "ExtractionError"):
        from langmem_cli import api

        return getattr(api, name)
    if name in ("Memory", "SearchHit"):
        from langmem_cli.core import records

        return getattr(records, name)
    raise AttributeError(name)
