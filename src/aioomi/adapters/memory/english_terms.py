"""English terms for the in-memory lexical search: the same stop words (Snowball's list, as
PostgreSQL's ``english`` configuration uses) and the same Snowball stemmer as Postgres, so the
memory store ranks words the way the Postgres store does."""

from __future__ import annotations

import re

import snowballstemmer

_STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the
    and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now     """.split()
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("english")


def english_terms(text: str) -> list[str]:
    """The stemmed, lower-cased, non-stop words of ``text``, in order, repeats kept."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS]
    return _stemmer.stemWords(words)
