"""Implementations of the core's ChatClient: litellm (any provider), the bundled local model, the scripted fake."""
