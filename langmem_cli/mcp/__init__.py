"""The MCP server: a front door beside the CLI."""
