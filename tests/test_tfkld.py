"""TF-KLD term weighting and pair features (our own sentences throughout)."""

import numpy as np
import pytest

from sourcetrace.link import propositions, tfkld


def _toy_pairs() -> tuple[list[str], list[str], np.ndarray]:
    """Paraphrases always keep the town's name; non-paraphrases drop it on one side. "the"
    and "said" are in both sentences of every pair."""
    a, b, y = [], [], []
    for k in range(12):
        a.append(f"The mayor of Vellmar said the bridge {k} was closed.")
        b.append(f"The bridge {k} was closed, said the mayor of Vellmar.")
        y.append(1)
        a.append(f"The mayor of Vellmar said the road {k} was open.")
        b.append(f"The governor said the road {k} was open.")
        y.append(0)
    return a, b, np.array(y)


def test_kld_weights_single_out_the_discriminative_term() -> None:
    a, b, y = _toy_pairs()
    model = tfkld.fit(a, b, y, k=4, alpha=1.0)
    w = dict(zip(sorted(model.vocabulary, key=model.vocabulary.__getitem__), model.weights,
                 strict=True))
    # kept in paraphrases, dropped in the others: the largest weight of the unigrams
    unigrams = {t: v for t, v in w.items() if " " not in t}
    assert max(unigrams, key=unigrams.__getitem__) in {"vellmar", "mayor", "of"}
    # in both sentences of every pair, whatever the label: no weight
    assert w["the"] == pytest.approx(0.0, abs=1e-3)
    assert w["said"] == pytest.approx(0.0, abs=1e-3)
    assert w["vellmar"] > 0.3
    # terms seen once are not in the vocabulary
    assert all(n >= 2 for n in [sum(tfkld.terms(t).count(term) for t in a + b)
                                for term in model.vocabulary])


def test_dropping_a_weighted_term_changes_the_features_and_they_are_symmetric() -> None:
    a, b, y = _toy_pairs()
    model = tfkld.fit(a, b, y, k=4, alpha=1.0)
    base = "The mayor of Vellmar said the bridge 3 was closed."
    kept = "The bridge 3 was closed, said the mayor of Vellmar."
    dropped = "The bridge 3 was closed, said the governor."
    f = model.features([base, base, kept], [kept, dropped, base])
    assert f.shape == (3, len(tfkld.FEATURES))
    np.testing.assert_allclose(f[0], f[2])  # symmetric
    logit, _, sparse_cosine, unshared = range(4)
    assert f[0, logit] > f[1, logit]
    assert f[0, sparse_cosine] > f[1, sparse_cosine]
    assert f[0, unshared] < f[1, unshared]
    same = model.features([base], [base])[0]
    assert same[sparse_cosine] == pytest.approx(1.0)
    assert same[unshared] == pytest.approx(0.0)


def test_save_and_read_keep_the_model(tmp_path) -> None:
    a, b, y = _toy_pairs()
    model = tfkld.fit(a, b, y, k=4, alpha=1.0)
    tfkld.save(model, tmp_path / "m.npz")
    again = tfkld.read(tmp_path / "m.npz")
    assert again.vocabulary == model.vocabulary and again.bigrams == model.bigrams
    pairs = ([a[0], a[1]], [b[0], b[1]])
    np.testing.assert_allclose(again.features(*pairs), model.features(*pairs), atol=1e-3)


def test_packaged_weights_load_once_and_weigh_names_above_function_words() -> None:
    model = tfkld.load_model()
    assert tfkld.load_model() is model  # once per process
    assert 1000 < len(model.vocabulary) and model.projection.shape[0] == len(model.vocabulary)
    w = model.weights
    assert w[model.vocabulary["the"]] < np.median(w)
    a = "The minister said the new bridge over the river would open in March."
    f = model.features([a, a], [a.replace("March", "May"), a])
    np.testing.assert_allclose(f[1, 2], 1.0)
    assert f[0, 2] < 1.0 and f[0, 3] > 0.0


def test_cheap_features_carry_the_tfkld_features() -> None:
    assert propositions.CHEAP_FEATURES[-len(tfkld.FEATURES):] == tfkld.FEATURES
    assert propositions.load_model().cheap.mean.shape == (len(propositions.CHEAP_FEATURES),)
