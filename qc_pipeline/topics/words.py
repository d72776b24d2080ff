"""Words of a buyer's question: jieba tokens minus the shipped stop words, punctuation and numbers.

Numbers are dropped because 170 cm and 165 cm are the same question about size; a private jieba
tokenizer keeps the dictionary load out of import time and away from other jieba users.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import jieba

jieba.setLogLevel(logging.WARNING)

_NOISE = re.compile(r"^[\W\d_]+$")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def normalise(text: str) -> str:
    # Full-width letters and digits (ｌ码, ３８码) are the same as their half-width forms.
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str) -> list[str]:
    stop = stop_words()
    return [
        t for t in (w.strip() for w in _tokenizer().lcut(normalise(text)))
        if t and t not in stop and not _NOISE.match(t)
    ]
