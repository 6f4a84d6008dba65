"""The small interfaces the core and the store depend on; implemented in embed/ and llm/, handed in where the app is assembled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Protocol, Sequence

if TYPE_CHECKING:
    import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str:
        """The model's name (stored with every vector)."""

    @property
    def dim(self) -> int:
        """Vector size (an embedder may load its model to know it)."""

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...


# The embedder used when a caller opens a store without handing one in (the Python API's
# ``Store.open(path)``): model name (None = the configured default) -> Embedder. Registered by the
# package root (``langmem_cli/__init__.py``), which assembles the Python API.
default_embedder: Optional[Callable[[Optional[str]], Embedder]] = None
