"""The owner reviews an agent's conversations with filters and full-text search."""
