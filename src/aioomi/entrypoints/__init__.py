"""Entry points: HTTP (Litestar), the worker, and the CLI. Thin translators into use cases."""
