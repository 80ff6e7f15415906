"""The owner's analytics."""
