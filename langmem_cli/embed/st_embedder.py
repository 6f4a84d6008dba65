"""sentence-transformers in process (imports torch: ~10 s here). Used to export to ONNX,
and as the backend when LANGMEM_EMBEDDING_BACKEND=torch."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from langmem_cli import config
from langmem_cli.errors import ModelError


def load_sentence_transformer(source: str):
    config.apply_runtime_env()
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(f"sentence-transformers is not installed: {exc}") from exc
    torch.set_num_threads(config.threads())
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    try:
        return SentenceTransformer(source, device="cpu", local_files_only=True)
    except TypeError:  # older sentence-transformers
        return SentenceTransformer(source, device="cpu")
    except Exception as exc:  # noqa: BLE001 - any loader failure is one message
        raise ModelError(
            f"cannot load embedding model {source!r} offline: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            " (pass a local model directory or an installed model name)"
        ) from exc


def embedding_dimension(model) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


class SentenceTransformerEmbedder:
    def __init__(self, name: str, source: str):
        self.name = name
        self.model = load_sentence_transformer(source)
        self.dim = embedding_dimension(self.model)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)
