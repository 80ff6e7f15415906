"""OpenAI adapters: embeddings (and, later, chat) through the official SDK."""
