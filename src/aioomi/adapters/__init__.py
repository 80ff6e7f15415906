"""Adapters: one folder per technology, each implementing ports. Never imports use cases."""
