"""Unanswered and disliked questions grouped by meaning: refreshed by the worker, listed,
answered (a Q&A pair with the group's phrasings) or dismissed by the owner."""
