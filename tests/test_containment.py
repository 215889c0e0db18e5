"""A long claim carrying a short one's proposition is the same proposition; near misses are
not, and containment never chains (our own sentences throughout)."""

import json
from importlib import resources

import numpy as np
import pytest

from sourcetrace.link import claims as claims_step
from sourcetrace.link import containment, propositions
from sourcetrace.link.matching import ClaimInfo, ClaimSet

LONG_JOBS = ("The jobless rate in Varnia fell to 5.2 percent in March, as factories added 40,000 "
             "jobs and wages rose for a third month in a row.")
LONG_HELICOPTER = ("Rebels shot down an army helicopter near the northern town of Kestra on "
                   "Monday, killing both pilots, and then withdrew into the hills before "
                   "reinforcements arrived.")
LONG_BRIDGE = ("The Dorvik city council voted on Tuesday to close the old harbour bridge to "
               "trucks after engineers found cracks in two of its pillars.")
LONG_CONVOY = ("Aid convoys entered the enclave through the Tarsa crossing on Sunday, the first "
               "deliveries in three weeks, and unloaded flour and medicine at the central "
               "depot.")

CARRIED = [
    (LONG_JOBS, "Varnia's jobless rate fell to 5.2 percent in March."),
    (LONG_HELICOPTER, "Rebels shot down an army helicopter near Kestra on Monday."),
    (LONG_BRIDGE, "The Dorvik city council voted to close the old harbour bridge to trucks."),
    (LONG_CONVOY, "Aid convoys entered the enclave through the Tarsa crossing on Sunday."),
]
NEAR_MISSES = [
    (LONG_JOBS, "Varnia's jobless rate fell to 6.4 percent in March."),
    (LONG_HELICOPTER, "Rebels shot down an army helicopter near Morrow on Monday."),
    (LONG_CONVOY, "Aid convoys entered the enclave through the Belen crossing on Sunday."),
    (LONG_BRIDGE, "The Dorvik city council did not vote to close the old harbour bridge to "
                  "trucks."),
    (LONG_BRIDGE, "The Lenhart city council voted to close the old harbour bridge to trucks."),
]


def _judged(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    texts = [t for pair in pairs for t in pair]
    claimset = ClaimSet([ClaimInfo(t, doc=f"d{k % 2}") for k, t in enumerate(texts)])
    left = np.arange(0, len(texts), 2)
    return (propositions.same_probability(claimset, left, left + 1),
            claims_step.judge(claimset, left, left + 1))


def test_a_long_claim_carrying_a_short_one_is_the_same_proposition() -> None:
    msrp, judged = _judged(CARRIED)
    assert (judged >= claims_step.same_threshold()).all(), judged
    # the MSRP classifier alone rejects these: the containment model is what links them
    assert (msrp < propositions.SAME_PROPOSITION).all(), msrp


@pytest.mark.parametrize("pair", NEAR_MISSES,
                         ids=["number", "place", "crossing", "negation", "actor"])
def test_near_misses_stay_apart(pair: tuple[str, str]) -> None:
    _, judged = _judged([pair])
    assert judged[0] < claims_step.same_threshold(), judged


def test_containment_never_chains() -> None:
    """A long claim carries two short ones that say different things: it may join either,
    but the two never join each other through it."""
    texts = [
        "Police arrested the mayor of Castelnau on Friday and seized documents from the "
        "town hall, where officers searched the finance office for six hours.",
        "Police arrested the mayor of Castelnau on Friday.",
        "Officers searched the finance office of the Castelnau town hall for six hours.",
    ]
    claimset = ClaimSet([ClaimInfo(t, doc=f"d{k}") for k, t in enumerate(texts)])
    probability = claims_step.pair_probabilities(claimset, [0, 1, 2])
    threshold = claims_step.same_threshold()
    assert probability[0, 1] >= threshold and probability[1, 2] < threshold, probability
    groups = [part for part, _ in claims_step.split_component(claimset, [0, 1, 2], set())]
    assert not any({1, 2} <= set(part) for part in groups), groups


def test_weights_hold_a_model_per_half_and_one_for_all() -> None:
    weights = json.loads(resources.files("sourcetrace.link").joinpath(
        "data", containment.WEIGHTS).read_text("utf-8"))
    assert weights["features"] == list(containment.FEATURES)
    assert set(weights["models"]) == {"all", "ab", "cd"}
    for model in weights["models"].values():
        assert len(model["coef"]) == len(containment.FEATURES)
        assert 0 < model["threshold"] < 1


def test_the_model_in_use_is_part_of_the_memo_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    default = containment.digest()
    monkeypatch.setenv(containment.FOLD_VARIABLE, "ab")
    assert containment.digest() != default
    assert claims_step._claims_parameters(claims_step.Settings())["pair_model"] == \
        containment.digest()


def test_an_unknown_model_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(containment.FOLD_VARIABLE, "xy")
    with pytest.raises(ValueError, match=r"claim_pairs.json: no model 'xy'"):
        containment.load_model()


# The seeds' wrong merge on our own sentences: an envoy's quote that a withdrawal would end
# the militias, against an outlet's sentence on the army's gains and the foreign forces
# blocking a return to normal life. MSRP's classifier judges them different (below its own
# threshold, above the containment threshold) and the containment model sees nothing carried.
ENVOY = ("“A Varnian exit from Kestria means the quick and certain elimination of the militias "
         "and of their networks next door,”")
GAINS = ("Over the past years Kestria's soldiers have advanced against the remaining militia "
         "enclaves, but Varnian forces and their allies prevent normal life from returning.")


def test_an_msrp_probability_links_only_at_the_msrp_threshold() -> None:
    msrp, judged = _judged([(ENVOY, GAINS)])
    threshold = claims_step.same_threshold()
    assert threshold <= msrp[0] < propositions.SAME_PROPOSITION, msrp
    assert judged[0] < threshold, judged


def test_each_decision_links_at_its_own_threshold() -> None:
    claimset = ClaimSet([ClaimInfo(ENVOY, doc="d0"), ClaimInfo(GAINS, doc="d1")])
    one = np.array([0]), np.array([1])
    model = containment.load_model()
    held = model.probability(containment.features(claimset, *one))[0]
    assert held < model.threshold
    below, at = propositions.SAME_PROPOSITION - 0.01, propositions.SAME_PROPOSITION
    assert containment.combined_probability(claimset, *one, np.array([below]))[0] < \
        model.threshold
    assert containment.combined_probability(claimset, *one, np.array([at]))[0] >= \
        model.threshold
    scaled = containment.msrp_on_scale(np.linspace(0, 1, 11), model.threshold)
    assert (np.diff(scaled) > 0).all() and scaled[0] == 0 and scaled[-1] == 1
