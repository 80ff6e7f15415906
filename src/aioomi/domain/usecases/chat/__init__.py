"""Chat use cases, one per module."""
