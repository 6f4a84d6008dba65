"""Implementations of the core's ChatClient: litellm (any provider), the bundled local model (custom providers, such as the tests' scripted model, are registered by name)."""
