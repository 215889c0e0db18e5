"""Classes of the contextual token vectors as features of the attribution tagger: read from
the pipeline's tensor, absent (not wrong) without one, the same for a cached parse whose
tensor is computed again."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import DocBin

from sourcetrace.extract.attribution import clusters
from sourcetrace.extract.attribution.features import DocFeatures

TEXT = ("The minister said on Monday that the talks would resume.\n\n"
        "Critics questioned the plan, which they called reckless.")

pytestmark = pytest.mark.skipif(clusters.centroids() is None,
                                reason="data/clusters.npz is not installed")


def _parse(nlp, text: str):
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if not p.startswith("sourcetrace_")
                                  or p == "sourcetrace_paragraphs"]):
        return nlp(text)


def test_every_token_gets_a_class_of_each_level(nlp):
    doc = _parse(nlp, TEXT)
    got = clusters.assign(doc)
    assert got is not None
    cents = clusters.centroids()
    for level in clusters.LEVELS:
        assert len(got[level]) == len(doc)
        assert all(0 <= k < len(cents[level]) for k in got[level])
    # the fine classes tell words apart in context: not all one class
    assert len(set(got["fine"])) > 3


def test_the_class_is_the_nearest_centroid(nlp):
    import numpy as np

    doc = _parse(nlp, TEXT)
    got = clusters.assign(doc)
    c = clusters.centroids()["fine"]
    said = next(t.i for t in doc if t.text == "said")
    dist = ((c - doc.tensor[said]) ** 2).sum(axis=1)
    assert got["fine"][said] == int(np.argmin(dist))


def test_a_doc_without_a_tensor_gets_no_class_features(nlp):
    doc = _parse(nlp, TEXT)
    back = next(DocBin(docs=[doc]).get_docs(spacy.blank("en").vocab))
    assert clusters.assign(back) is None
    feats = DocFeatures(back, []).sequence(list(range(len(back))))
    assert not any(f.startswith(("k=", "kc=", "-1k=")) for fs in feats for f in fs)
    with_tensor = DocFeatures(doc, []).sequence(list(range(len(doc))))
    assert all(any(f.startswith("k=") for f in fs) for fs in with_tensor)


def test_a_cached_parse_gets_the_pipeline_s_classes_back(nlp):
    """train.parsed_docs runs tok2vec again on DocBin parses: the classes the tagger was
    trained on are the ones it sees at run time."""
    doc = _parse(nlp, TEXT)
    back = next(DocBin(docs=[doc]).get_docs(spacy.blank("en").vocab))
    back = next(nlp.get_pipe("tok2vec").pipe([back]))
    assert clusters.assign(back) == clusters.assign(doc)
