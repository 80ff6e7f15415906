"""PostgreSQL (with pgvector) adapters: the production store, also the embedded default."""
