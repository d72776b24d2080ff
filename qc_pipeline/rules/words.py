"""Is a term hit a word of its own? jieba decides, so that 第一 inside 第一次, 可能 inside 不可能 or
绝了 inside 拒绝了 is no hit.

The hit counts when jieba's cut of the text around it, with every rule term loaded as a user word,
has a boundary at both of its edges. The answer depends only on the few characters either side of
the hit (REACH), so it is remembered per such window: shops repeat the same phrases in many messages.
Most hits touch no longer dictionary word at all; their edges are boundaries in any cut, so they
never reach jieba.
"""
from __future__ import annotations

import functools
import logging
import threading

# Characters either side of a hit that jieba looks at. Only long idioms and institution names reach
# further, and they hardly ever hold a rule term.
REACH = 6
_CACHE_SIZE = 200_000


def glued(text: str, start: int, end: int) -> bool:
    """A run of Latin letters and digits is one word: 666 inside 16668, sb inside usb."""
    if start > 0:
        a, b = text[start - 1], text[start]
        if a < "\x80" and b < "\x80" and a.isalnum() and b.isalnum():
            return True
    if end < len(text):
        a, b = text[end - 1], text[end]
        if a < "\x80" and b < "\x80" and a.isalnum() and b.isalnum():
            return True
    return False


class WordCheck:
    """Word boundaries over a private jieba tokenizer that knows every rule term as a user word."""

    def __init__(self, user_words: set[str]):
        self._user_words = sorted(w for w in user_words if len(w) > 1)
        self._lock = threading.Lock()
        self._freq: dict[str, int] | None = None
        self._tokenizer = None
        self._max_len = 0
        self._answers: dict[tuple[str, int, int], bool] = {}

    def _load(self) -> dict[str, int]:
        with self._lock:
            if self._freq is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in self._user_words:
                    tokenizer.add_word(word)
                self._max_len = max(len(w) for w, f in tokenizer.FREQ.items() if f)
                self._tokenizer = tokenizer
                self._freq = tokenizer.FREQ
        return self._freq

    def is_word(self, text: str, start: int, end: int) -> bool:
        """`text` is folded (see `text.fold`); [start, end) is a hit inside it."""
        if glued(text, start, end):
            return False
        lo = max(0, start - REACH)
        key = (text[lo:end + REACH], start - lo, end - lo)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._decide(*key)
            if len(self._answers) >= _CACHE_SIZE:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    def _decide(self, window: str, start: int, end: int) -> bool:
        if not self._overlapped(window, start, end):
            return True
        cuts, pos = {0}, 0
        for token in self._tokenizer.cut(window, HMM=False):
            pos += len(token)
            cuts.add(pos)
        return start in cuts and end in cuts

    def _overlapped(self, text: str, start: int, end: int) -> bool:
        """Does any dictionary word other than the hit itself cross one of the hit's edges?"""
        freq = self._freq if self._freq is not None else self._load()
        n = len(text)
        for k in range(max(0, start - self._max_len + 1), end):
            # A word from k matters only if it reaches past `start` (k < start) or past `end`.
            reach = start + 1 if k < start else end + 1
            for j in range(reach, min(n, k + self._max_len) + 1):
                f = freq.get(text[k:j])
                if f is None:
                    break
                if f and (k, j) != (start, end):
                    return True
        return False


@functools.lru_cache(maxsize=8)
def word_check(user_words: frozenset[str]) -> WordCheck:
    """One tokenizer per set of terms: rule sets with the same terms share its dictionary and answers."""
    return WordCheck(set(user_words))
