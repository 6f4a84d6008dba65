"""Embedders: the ONNX runtime (export + run), sentence-transformers, and the model-free hash embedder."""
