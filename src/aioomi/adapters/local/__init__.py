"""Adapters that need no service: the system clock, filesystem stores, offline models."""
