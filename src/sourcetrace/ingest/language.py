"""Language identification: cheap for plain English news, langdetect for the rest."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SAMPLE_CHARS = 1000
SHORT_WORDS = 20

# Function words that make up a large share of any English running text and rarely of
# other languages' texts. Where they are frequent, langdetect (slow: about a millisecond
# per hundred characters) is not needed.
_ENGLISH = frozenset(
    "the of and to in a is that for on with as was by it at from he said be are has have "
    "not this an his but they were which its their had who been will would or after also".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0  # langdetect is random otherwise: same text, same answer
    return detect_langs


def english_share(words: list[str]) -> float:
    return sum(w in _ENGLISH for w in words) / len(words) if words else 0.0


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, judged on its first ~1000 characters."""
    sample = text[:SAMPLE_CHARS]
    words = [w.lower() for w in _WORD.findall(sample)]
    share = english_share(words)
    if share >= 0.2 and sum(w in _ENGLISH for w in words) >= 3:
        return "en"
    try:
        guesses = _detector()(sample)
    except Exception:  # langdetect raises on text without letters
        return "en"
    if not guesses:
        return "en"
    best = guesses[0]
    if len(words) < SHORT_WORDS:
        # A headline or a stub: langdetect guesses wildly on so few words, so stay with
        # English unless it is sure and no English function word backs English up.
        if best.lang == "en" or share > 0 or best.prob < 0.99:
            return "en"
    return str(best.lang)
