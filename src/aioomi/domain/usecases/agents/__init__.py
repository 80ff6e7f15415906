"""Agents use cases, one per module."""
