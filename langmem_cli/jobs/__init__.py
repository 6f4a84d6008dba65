"""Units of work that combine the core, the store, transcript formats, LLM clients and embedders (used by the CLI and MCP)."""
