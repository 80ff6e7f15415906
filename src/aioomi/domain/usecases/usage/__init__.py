"""Usage use cases, one per module."""
