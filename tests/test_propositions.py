"""The "same proposition?" pair classifier (our own sentences throughout)."""

import json
from importlib import resources

import numpy as np
import pytest

from sourcetrace.link import propositions
from sourcetrace.link.matching import ClaimInfo, ClaimSet

SAME = [
    # reworded
    ("Rebels shot down a military helicopter near the northern town of Kestra on Monday.",
     "A military helicopter was downed by rebel fire close to the northern town of Kestra on "
     "Monday."),
    # active / passive
    ("The central bank raised its main interest rate to 4.5 percent on Thursday.",
     "The main interest rate was raised to 4.5 percent by the central bank on Thursday."),
    # reported vs direct speech
    ("The health minister said the hospital in Varno would close next month.",
     '"The hospital in Varno will close next month," the health minister said.'),
    # hedge added
    ("Militants attacked a police station in Dorvik, killing three officers.",
     "Militants reportedly attacked a police station in Dorvik, killing three officers."),
]

DIFFERENT = [
    # another number
    ("The flooding in the river valley killed 12 people, officials said.",
     "The flooding in the river valley killed 250 people, officials said."),
    # another actor
    ("Police arrested the mayor of Castelnau on corruption charges on Friday.",
     "Police arrested the governor of Lorraine on corruption charges on Friday."),
    # another border crossing
    ("Aid trucks entered the territory through the Rafah crossing on Sunday.",
     "Aid trucks entered the territory through the Kerem Shalom crossing on Sunday."),
    # negation
    ("The company confirmed that it had laid off 300 workers at its Ohio plant.",
     "The company denied that it had laid off 300 workers at its Ohio plant."),
    ("The president signed the climate bill into law on Tuesday.",
     "The president did not sign the climate bill into law on Tuesday."),
]


def _probabilities(pairs):
    claims = ClaimSet([ClaimInfo(t, doc=str(k)) for pair in pairs for k, t in enumerate(pair)])
    left = np.arange(0, 2 * len(pairs), 2)
    return claims, left, left + 1, propositions.same_probability(claims, left, left + 1)


@pytest.mark.parametrize("pair", SAME, ids=["reworded", "passive", "reported", "hedged"])
def test_same_proposition(pair):
    p = _probabilities([pair])[3][0]
    assert p >= propositions.SAME_PROPOSITION, p


@pytest.mark.parametrize("pair", DIFFERENT,
                         ids=["number", "actor", "crossing", "denied", "did-not"])
def test_different_proposition(pair):
    p = _probabilities([pair])[3][0]
    assert p < propositions.SAME_PROPOSITION, p


def test_batch_and_features():
    claims, left, right, p = _probabilities(SAME + DIFFERENT)
    assert p.shape == (len(SAME) + len(DIFFERENT),)
    assert np.all((p >= 0) & (p <= 1))
    # one pair at a time gives the same probabilities as the batch
    alone = [_probabilities([pair])[3][0] for pair in SAME + DIFFERENT]
    assert np.allclose(p, alone, atol=1e-6)
    x = propositions.pair_features(claims, left, right)
    assert x.shape == (len(p), len(propositions.FEATURES)) and x.dtype == np.float64
    assert np.all(np.isfinite(x))


def test_packaged_weights():
    path = resources.files("sourcetrace.link").joinpath("data", propositions.WEIGHTS)
    assert len(path.read_bytes()) < 1_000_000
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert spec["features"] == list(propositions.FEATURES)
    assert spec["threshold"] == pytest.approx(propositions.SAME_PROPOSITION)
    model = propositions.load_model()
    assert model is propositions.load_model()  # cached
    lo, hi = model.uncertain
    assert 0 <= lo < propositions.SAME_PROPOSITION < hi <= 1
