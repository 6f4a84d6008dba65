"""Units of work that combine the core, the store and the adapters (used by the CLI and MCP)."""
