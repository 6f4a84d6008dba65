"""An ``IndexConfig``'s ``embed`` (a LangChain ``Embeddings``, a sync or async callable) as this
project's ``Embedder``: L2-normalised float32 rows, checked against ``dims``.

Its ``name`` says whose vectors they are (``langgraph:<embedder>:<dims>``), so the store keeps
them apart from the on-device model's: a search with one model never ranks the other's vectors.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any, Sequence

import numpy as np


class EmbeddingError(RuntimeError):
    """The index's ``embed`` failed or returned something that is not ``dims`` numbers a text."""


def describe(embed: Any) -> str:
    model = getattr(embed, "model", None) or getattr(embed, "model_name", None)
    if callable(embed) and not hasattr(embed, "embed_documents"):
        owner = getattr(embed, "__qualname__", None) or type(embed).__qualname__
        return f"{getattr(embed, '__module__', '') or ''}.{owner}".strip(".")
    return f"{type(embed).__name__}" + (f"/{model}" if isinstance(model, str) else "")


def _run(awaitable: Any) -> Any:
    """Wait for a coroutine from sync code, also when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(awaitable)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, awaitable).result()


class CallerEmbedder:
    """The ``Embedder`` protocol over a caller's embedding function."""

    def __init__(self, embed: Any, dims: int, name: str | None = None):
        if not isinstance(dims, int) or isinstance(dims, bool) or dims < 1:
            raise ValueError(f"index dims must be a positive integer, got {dims!r}")
        if isinstance(embed, str):  # "openai:text-embedding-3-small": LangChain's init_embeddings
            from langgraph.store.base.embed import ensure_embeddings

            label = embed
            try:
                embed = ensure_embeddings(embed)
            except Exception as exc:  # noqa: BLE001 - an unknown provider, a missing package or key
                raise ValueError(f"index embed {label!r}: {exc}") from None
            name = name or f"langgraph:{label}:{dims}"
        if not (hasattr(embed, "embed_documents") or callable(embed)):
            raise ValueError(f"index embed must be a LangChain Embeddings or a function, got {type(embed).__name__}")
        self._embed = embed
        self.dim = dims
        self.name = name or f"langgraph:{describe(embed)}:{dims}"

    def _call(self, texts: list[str]) -> Any:
        if hasattr(self._embed, "embed_documents"):
            return self._embed.embed_documents(texts)
        result = self._embed(texts)
        if inspect.isawaitable(result):
            result = _run(result)
        return result

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            raw = self._call(texts)
        except Exception as exc:  # noqa: BLE001 - whatever the caller's function raises
            raise EmbeddingError(f"the index's embed function failed: {type(exc).__name__}: {exc}") from exc
        try:
            matrix = np.asarray(raw, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbeddingError(f"the index's embed function returned something that is not vectors ({exc})") from None
        if matrix.ndim != 2 or matrix.shape[0] != len(texts):
            raise EmbeddingError(f"the index's embed function returned {matrix.shape} for {len(texts)} texts: "
                                 "one vector a text expected")
        if matrix.shape[1] != self.dim:
            raise EmbeddingError(f"the index's embed function returned vectors of {matrix.shape[1]} dimensions; "
                                 f"the index says dims={self.dim}")
        if not np.isfinite(matrix).all():
            raise EmbeddingError("the index's embed function returned NaN or infinite numbers")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1.0, norms)
