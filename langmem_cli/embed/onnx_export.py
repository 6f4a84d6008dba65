"""Export a sentence-transformers model to ONNX once (needs torch + onnx at export time only).

Writes into ``out_dir``: ``model.onnx`` (the transformer, returning last_hidden_state),
``tokenizer.json`` and ``langmem.json`` (pooling, normalisation, max length, dimension).
The export is checked against sentence-transformers on sample sentences before it is kept.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from langmem_cli.errors import ModelError

CHECK_SENTENCES = [
    "Caroline went to a support group yesterday.",
    "hello",
    "The quarterly report is due on Friday, and the budget review follows next week with the whole team.",
]
MIN_COSINE = 0.999


def _pooling_mode(model) -> str | None:
    from sentence_transformers.models import Pooling

    for module in model:
        if isinstance(module, Pooling):
            cfg = module.get_config_dict()
            mode = cfg.get("pooling_mode")
            if mode is None:  # sentence-transformers < 5
                if cfg.get("pooling_mode_mean_tokens"):
                    mode = "mean"
                elif cfg.get("pooling_mode_cls_token"):
                    mode = "cls"
            return mode
    return None


def export(source: str, out_dir: Path) -> None:
    from langmem_cli.embed.st_embedder import embedding_dimension, load_sentence_transformer

    model = load_sentence_transformer(source)
    import torch
    from sentence_transformers.models import Normalize

    modules = list(model)
    pooling = _pooling_mode(model)
    if pooling not in ("mean", "cls") or len(modules) > 3:
        raise ModelError(f"model {source!r} uses a layout the ONNX path does not handle (pooling {pooling})")
    normalize = any(isinstance(m, Normalize) for m in modules)
    transformer = modules[0].auto_model
    tokenizer = model.tokenizer
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(input_names, args))).last_hidden_state

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir.parent))
    try:
        sample = tokenizer(CHECK_SENTENCES[:2], padding=True, return_tensors="pt")
        dynamic = {name: {0: "batch", 1: "sequence"} for name in input_names}
        dynamic["last_hidden_state"] = {0: "batch", 1: "sequence"}
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden(transformer.eval()),
                tuple(sample[n] for n in input_names),
                str(tmp / "model.onnx"),
                input_names=input_names,
                output_names=["last_hidden_state"],
                dynamic_axes=dynamic,
                opset_version=17,
                dynamo=False,
            )
        tokenizer.save_pretrained(str(tmp / "hf-tokenizer"))
        shutil.copy(tmp / "hf-tokenizer" / "tokenizer.json", tmp / "tokenizer.json")
        shutil.rmtree(tmp / "hf-tokenizer")
        meta = {
            "source": source,
            "pooling": pooling,
            "normalize": normalize,
            "max_seq_length": int(model.max_seq_length or 512),
            "dim": int(embedding_dimension(model)),
            "inputs": input_names,
            "pad_id": int(tokenizer.pad_token_id or 0),
        }
        (tmp / "langmem.json").write_text(json.dumps(meta, indent=2))
        # Check the export against sentence-transformers before keeping it.
        import numpy as np

        from langmem_cli.embed.onnx_embedder import OnnxEmbedder

        reference = model.encode(CHECK_SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
        exported = OnnxEmbedder(tmp, name="check").embed(CHECK_SENTENCES)
        reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
        exported = exported / np.linalg.norm(exported, axis=1, keepdims=True)
        worst = float((reference * exported).sum(axis=1).min())
        if worst < MIN_COSINE:
            raise ModelError(f"ONNX export of {source!r} differs from sentence-transformers (cosine {worst:.4f})")
        if out_dir.exists():
            shutil.rmtree(tmp)  # another process finished first
        else:
            os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
