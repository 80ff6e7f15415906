"""Test infrastructure shared by every suite: the embedded PostgreSQL and per-test databases."""
