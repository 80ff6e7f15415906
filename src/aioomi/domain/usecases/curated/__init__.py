"""Curated answers: the owner's question-and-answer pairs served or promoted in a chat turn,
fixed from any answer, and the per-agent settings."""
