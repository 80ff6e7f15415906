"""Accounts use cases, one per module."""
