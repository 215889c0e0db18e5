"""Stand-in same-proposition probability (replaced by the learned model)."""

from __future__ import annotations

import numpy as np

from sourcetrace.link.matching import ClaimSet, _combine

SAME_PROPOSITION = 0.5


def same_probability(claims: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    score = _combine(claims.pair_components(np.asarray(left, int), np.asarray(right, int)))
    return 1.0 / (1.0 + np.exp(-(score - 0.6) * 20))
