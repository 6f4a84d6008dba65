"""Pure functions and records: no database, no files, no network.

The embedder (and, later, the LLM) come in as small interfaces defined in ``interfaces``.
"""
