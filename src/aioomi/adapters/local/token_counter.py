"""Counting tokens as OpenAI's models do, offline: ``bpe-openai`` bundles the encodings that
``tiktoken`` would download on first use."""

from __future__ import annotations

from functools import lru_cache

import bpe_openai


@lru_cache(maxsize=4)
def _encoding(name: str) -> bpe_openai.Encoding:
    return bpe_openai.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Tokens of ``text`` in ``encoding`` (``cl100k_base`` is the embedding models')."""
    return len(_encoding(encoding).encode(text))
