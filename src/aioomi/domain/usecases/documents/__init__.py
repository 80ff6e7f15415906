"""The knowledge base's documents: add, replace, list, read, rename and delete; one use case per module."""
