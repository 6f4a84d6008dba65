"""Pure functions and records: no database, no files, no network.

The embedder and the LLM come in as small interfaces: ``interfaces.Embedder`` and ``llm.ChatClient``.
"""
