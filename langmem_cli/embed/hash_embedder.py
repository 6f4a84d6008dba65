"""A deterministic bag-of-words embedder with no model: for tests and model-free setups.

Select it with ``--embedding-model hash:DIM`` (e.g. ``hash:256``). Texts sharing words get
similar vectors; it knows nothing of meaning.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from langmem_cli.core.keywords import terms
from langmem_cli.errors import ModelError


class HashEmbedder:
    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash:{dim}"
        self.calls = 0
        self.texts_embedded = 0

    @classmethod
    def from_name(cls, name: str) -> "HashEmbedder":
        try:
            dim = int(name.split(":", 1)[1])
        except ValueError:
            raise ModelError(f"invalid hash embedder {name!r}: use hash:DIM, e.g. hash:256") from None
        if not 8 <= dim <= 4096:
            raise ModelError(f"invalid hash embedder {name!r}: DIM must be 8..4096")
        return cls(dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in terms(text) or [text]:
                h = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
                out[row, int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out
