"""Aioomi: AI assistants for websites, grounded in the owner's own documents."""

__version__ = "0.1.0"
