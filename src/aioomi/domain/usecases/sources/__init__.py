"""Sources use cases, one per module."""
