"""The command line: thin Typer commands over the Store, one module per command group."""
