"""Adapters to the outside world: embedding models (and later LLMs, transcript formats)."""
