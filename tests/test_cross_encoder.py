"""The MiniLM cross-encoder of "same proposition?" (our own sentences throughout)."""

from importlib import resources

import numpy as np
import pytest

from sourcetrace.link import cross_encoder

pytestmark = pytest.mark.skipif(not cross_encoder.available(),
                                reason="no cross-encoder adapter packaged")

PARAPHRASES = [
    ("The port authority in Velsa said on Monday that 14 ships were stuck outside the harbour.",
     "Fourteen ships were stuck outside the harbour, Velsa's port authority said on Monday."),
    ("Protesters blocked the main highway into the capital for six hours.",
     "For six hours, the main highway into the capital was blocked by protesters."),
]
NEAR_MISSES = [
    # another place
    ("The port authority in Velsa said on Monday that 14 ships were stuck outside the harbour.",
     "The port authority in Odrin said on Monday that 14 ships were stuck outside the harbour."),
    # negation
    ("Protesters blocked the main highway into the capital for six hours.",
     "Protesters did not block the main highway into the capital."),
]


def test_packaged_delta_is_small_and_complete():
    raw = resources.files("sourcetrace.link").joinpath(
        "data", cross_encoder.ADAPTER).read_bytes()
    assert len(raw) < 3_000_000
    delta = cross_encoder.read_delta(raw)
    # an adapter on each target map of each of the six layers, and the head
    for layer in range(6):
        for target in cross_encoder.TARGETS:
            name = f"encoder.layer.{layer}.{target}"
            a, b = delta[name + ".lora_a"], delta[name + ".lora_b"]
            assert a.shape[0] == b.shape[1] == cross_encoder.RANK
            assert np.any(b != 0), name  # trained, not the zero initialisation
    assert delta["head.weight"].shape == (384,)


def test_symmetric_and_batch_independent():
    pairs = PARAPHRASES + NEAR_MISSES
    logits = cross_encoder.pair_logits(pairs)
    assert logits.shape == (len(pairs),) and np.all(np.isfinite(logits))
    swapped = cross_encoder.pair_logits([(b, a) for a, b in pairs])
    assert np.allclose(logits, swapped)
    alone = np.array([cross_encoder.pair_logits([p])[0] for p in pairs])
    assert np.allclose(logits, alone, atol=1e-4)
    assert cross_encoder.load() is cross_encoder.load()  # built once per process


def test_paraphrases_score_above_near_misses():
    same = cross_encoder.pair_logits(PARAPHRASES)
    other = cross_encoder.pair_logits(NEAR_MISSES)
    assert np.all(same > 0), same
    assert np.all(same > other), (same, other)
