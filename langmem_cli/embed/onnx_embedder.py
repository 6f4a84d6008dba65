"""Sentence embeddings with onnxruntime + tokenizers: identical vectors to sentence-transformers,
without importing torch (a cold query costs well under a second instead of ~10 s).

This module runs an export; making one is onnx_export's job (it imports this module to check its
result, never the other way round). embedders.get_embedder joins the two."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from langmem_cli import config

BATCH_SIZE = 32


class OnnxEmbedder:
    def __init__(self, directory: Path, name: str):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        directory = Path(directory)
        meta = json.loads((directory / "langmem.json").read_text())
        self.name = name
        self.dim = int(meta["dim"])
        self.pooling = meta["pooling"]
        self.normalize = bool(meta["normalize"])
        self.inputs = list(meta["inputs"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(meta["max_seq_length"]))
        self.tokenizer.enable_padding(pad_id=int(meta.get("pad_id", 0)))

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self.session.run(None, {k: feeds[k] for k in self.inputs})[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sort by length so each batch pads little, as sentence-transformers does.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            out[chunk] = self._batch([texts[i] for i in chunk])
        return out
