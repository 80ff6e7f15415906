"""Knowledge use cases, one per module."""
