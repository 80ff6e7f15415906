"""Test questions: the owner's expectations of an agent, run in the worker (issue 19)."""
