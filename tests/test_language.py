"""Loaded language and persuasion techniques: rules, lexicon, model, metrics, training script.
All sentences are our own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy

from sourcetrace.config import DEFAULT_MODEL
from sourcetrace.extract.language import component as comp
from sourcetrace.extract.language import train as train_mod
from sourcetrace.extract.language.lexicon import lexicon_for, scare_quote_spans
from sourcetrace.extract.language.metrics import merge_spans, si_scores, tc_micro_f1
from sourcetrace.extract.language.model import LanguageModel
from sourcetrace.model import Document
from sourcetrace.tables import PER_DOCUMENT


@pytest.fixture(scope="module")
def base_nlp() -> spacy.language.Language:
    return spacy.load(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def lex_nlp(tmp_path_factory: pytest.TempPathFactory) -> spacy.language.Language:
    """The statistical pipeline plus our component without a model: lexicon and rules only."""
    nlp = spacy.load(DEFAULT_MODEL)
    missing = tmp_path_factory.mktemp("nomodel") / "absent.joblib.gz"
    nlp.add_pipe("sourcetrace_language", config={"model_path": str(missing)})
    return nlp


@pytest.fixture(scope="module")
def model_nlp() -> spacy.language.Language:
    if not train_mod.MODEL_FILE.is_file():
        pytest.skip("no trained language model in the package")
    nlp = spacy.load(DEFAULT_MODEL)
    nlp.add_pipe("sourcetrace_language")
    return nlp


def spans_of(nlp: spacy.language.Language, text: str) -> list[comp.LanguageSpan]:
    doc = nlp(text)
    spans = doc._.language_spans
    for s in spans:  # every reported offset points at the reported text
        assert text[s.start : s.end] == s.text
    return spans


def find(spans: list[comp.LanguageSpan], technique: str) -> list[str]:
    return [s.text for s in spans if s.technique == technique]


# --- rules ---------------------------------------------------------------------------------


def test_hedges_with_offsets(lex_nlp: spacy.language.Language) -> None:
    text = ("The mayor reportedly left town. She is said to have sold the house, "
            "allegedly below its value.")
    spans = spans_of(lex_nlp, text)
    hedges = [(s.start, s.end) for s in spans if s.technique == "hedge"]
    assert hedges == [(10, 20), (36, 46), (68, 77)]
    assert [text[a:b] for a, b in hedges] == ["reportedly", "is said to", "allegedly"]


def test_no_hedge_in_plain_reporting(lex_nlp: spacy.language.Language) -> None:
    spans = spans_of(lex_nlp, "The mayor said she sold the house last week.")
    assert find(spans, "hedge") == []


def test_scare_quotes_so_called_and_short_quotes(lex_nlp: spacy.language.Language) -> None:
    text = ("The so-called “International Coalition” met on Monday, and its “experts” "
            "agreed with the so-called peace plan.")
    spans = spans_of(lex_nlp, text)
    assert find(spans, "scare_quotes") == [
        "so-called “International Coalition”", "“experts”", "so-called peace plan",
    ]
    first = next(s for s in spans if s.technique == "scare_quotes")
    assert (first.start, first.end) == (4, 39)


def test_quotations_are_not_scare_quotes(base_nlp: spacy.language.Language) -> None:
    # A full sentence in quotes, and a short quote introduced by a speech verb or a colon.
    text = ('He said: "We will not back down." She replied "never again" and left. '
            'The report said "no comment" twice.')
    assert scare_quote_spans(base_nlp(text)) == []


# --- lexicon -------------------------------------------------------------------------------


def test_lexicon_loaded_language_and_name_calling(lex_nlp: spacy.language.Language) -> None:
    text = "The brutal regime's thugs beat the protesters, and the minister called him a traitor."
    spans = spans_of(lex_nlp, text)
    assert "brutal" in find(spans, "Loaded_Language")
    assert {"regime", "thugs", "traitor"} <= set(find(spans, "Name_Calling,Labeling"))
    thugs = next(s for s in spans if s.text == "thugs")
    assert (thugs.start, thugs.end) == (20, 25)
    assert all(s.source in ("lexicon", "rule") for s in spans)


def test_lexicon_flag_waving(lex_nlp: spacy.language.Language) -> None:
    text = "Our nation will never surrender, because true patriots defend the homeland."
    spans = spans_of(lex_nlp, text)
    assert "Our nation" in find(spans, "Flag-Waving")
    assert "homeland" in find(spans, "Flag-Waving")


def test_neutral_sentence_has_no_spans(lex_nlp: spacy.language.Language) -> None:
    spans = spans_of(lex_nlp, "The council approved the budget for road repairs on Tuesday.")
    assert spans == []


def test_row_exporter_matches_table(lex_nlp: spacy.language.Language) -> None:
    text = "The corrupt thugs allegedly took the money."
    doc = lex_nlp(text)
    rows = comp.language_rows(doc, Document(id="d1", text=text))["language"]
    assert rows and all(set(r) == set(PER_DOCUMENT["language"]) for r in rows)
    assert {r["technique"] for r in rows} >= {"hedge", "Name_Calling,Labeling"}
    assert all(r["doc"] == "d1" and text[r["start"] : r["end"]] == r["text"] for r in rows)


# --- trained model -------------------------------------------------------------------------


def test_model_finds_loaded_language(model_nlp: spacy.language.Language) -> None:
    text = ("These vile, bloodthirsty thugs of the brutal regime slaughtered innocent children, "
            "and the cowardly traitors in Washington did nothing to stop this horrific massacre.")
    spans = [s for s in spans_of(model_nlp, text) if s.source != "rule"]
    assert spans, "the model should find propaganda in an obviously loaded sentence"
    covered = {i for s in spans for i in range(s.start, s.end)}
    for word in ("thugs", "massacre"):
        at = text.index(word)
        assert at in covered, f"{word!r} not inside any span: {spans}"
    assert {s.technique for s in spans} & {"Loaded_Language", "Name_Calling,Labeling"}
    assert all(0 < s.score <= 1 for s in spans)


def test_model_quiet_on_neutral_text(model_nlp: spacy.language.Language) -> None:
    text = ("The city council met on Tuesday to discuss the budget. Members approved funds for "
            "road repairs and a new library branch, which will open in March.")
    spans = [s for s in spans_of(model_nlp, text) if s.source != "rule"]
    covered = sum(s.end - s.start for s in spans)
    assert covered < 0.25 * len(text)


# --- metrics -------------------------------------------------------------------------------


def test_si_metric_partial_credit() -> None:
    gold = {"a": [(0, 10)]}
    # Half of the gold span found: full precision, half recall.
    assert si_scores({"a": [(0, 5)]}, gold) == pytest.approx((1.0, 0.5, 2 / 3))
    # A second, wrong span halves precision.
    assert si_scores({"a": [(0, 5), (20, 30)]}, gold) == pytest.approx((0.5, 0.5, 0.5))
    # Predicted span twice the gold: precision 0.5, recall 1.
    assert si_scores({"a": [(0, 20)]}, gold) == pytest.approx((0.5, 1.0, 2 / 3))
    # A prediction in another article earns nothing.
    assert si_scores({"b": [(0, 10)]}, gold) == pytest.approx((0.0, 0.0, 0.0))
    assert si_scores({}, gold) == pytest.approx((0.0, 0.0, 0.0))


def test_si_metric_sums_over_spans_and_articles() -> None:
    gold = {"a": [(0, 10), (20, 30)], "b": [(0, 4)]}
    pred = {"a": [(5, 25)], "b": [(0, 4), (10, 12)]}
    # a: |(5,25)∩(0,10)|=5, ∩(20,30)=5 -> P 10/20 = 0.5, R 5/10 + 5/10 = 1.0
    # b: (0,4) exact -> P 1, R 1; (10,12) -> P 0
    p, r, f1 = si_scores(pred, gold)
    assert p == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert r == pytest.approx((1.0 + 1.0) / 3)
    assert f1 == pytest.approx(2 * p * r / (p + r))


def test_si_metric_merges_overlapping_spans() -> None:
    assert merge_spans([(5, 15), (0, 10), (20, 25), (25, 30)]) == [(0, 15), (20, 25), (25, 30)]
    assert si_scores({"a": [(0, 15)]}, {"a": [(0, 10), (5, 15)]}) == pytest.approx((1, 1, 1))


def test_tc_micro_f1() -> None:
    gold = [["Loaded_Language"], ["Doubt", "Slogans"], ["Repetition"]]
    pred = [["Loaded_Language"], ["Slogans", "Flag-Waving"], ["Doubt"]]
    assert tc_micro_f1(gold, pred) == pytest.approx(2 / 4)


# --- training script -----------------------------------------------------------------------

_TEMPLATES = [
    ("The {w} plan was announced by the ministry on Monday.", "Loaded_Language"),
    ("Critics called the senator a {w} after the vote.", "Name_Calling,Labeling"),
]
_LOADED = ["disgraceful", "vile", "despicable", "outrageous"]
_NAMES = ["puppet", "clown", "traitor", "crook"]


def _synthetic_ptc(root: Path, n_articles: int = 12) -> Path:
    """A PTC-format folder of our own sentences: one loaded adjective and one insult per
    paragraph, labelled, with neutral sentences around them."""
    (root / "train-articles").mkdir(parents=True)
    labels = []
    for a in range(n_articles):
        parts: list[str] = []
        pos = 0
        for k in range(6):
            for template, technique in _TEMPLATES:
                word = (_LOADED if technique == "Loaded_Language" else _NAMES)[(a + k) % 4]
                sentence = template.format(w=word)
                start = pos + sentence.index(word)
                labels.append(f"{a}\t{technique}\t{start}\t{start + len(word)}")
                parts.append(sentence)
                pos += len(sentence) + 1
            neutral = "The committee will meet again next week to review the budget."
            parts.append(neutral)
            pos += len(neutral) + 1
        (root / "train-articles" / f"article{a}.txt").write_text(" ".join(parts) + " ")
    (root / "train-task-flc-tc.labels").write_text("\n".join(labels) + "\n")
    return root


def test_train_script_on_synthetic_data(tmp_path: Path, base_nlp: spacy.language.Language) -> None:
    data = _synthetic_ptc(tmp_path / "ptc")
    out = tmp_path / "model.joblib.gz"
    assert train_mod.main(["--data", str(data), "--out", str(out), "--cache", str(tmp_path)]) == 0
    model = LanguageModel.load(out)
    assert model.meta["articles"] == 12
    doc = base_nlp("Everyone saw the despicable plan. The committee met. They called him a clown.")
    found = comp.find_spans(doc, model, lexicon_for(base_nlp.vocab))
    by_text = {s.text: s.technique for s in found if s.source == "model"}
    assert by_text.get("despicable") == "Loaded_Language"
    assert by_text.get("clown") == "Name_Calling,Labeling"
    # --if-missing leaves an existing model alone, quickly.
    mtime = out.stat().st_mtime_ns
    t0 = time.perf_counter()
    assert train_mod.main(["--if-missing", "--data", str(data), "--out", str(out)]) == 0
    assert out.stat().st_mtime_ns == mtime and time.perf_counter() - t0 < 1


def test_train_script_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model.joblib.gz"
    assert train_mod.main(["--data", str(tmp_path / "absent"), "--out", str(out)]) == 0
    assert "no training data available" in capsys.readouterr().out
    assert not out.exists()


# --- shared data ---------------------------------------------------------------------------


@pytest.mark.shared
def test_ptc_loader_offsets(shared_dir: Path) -> None:
    from sourcetrace.extract.language.data import load_ptc, ptc_dir

    path = ptc_dir(shared_dir / "datasets" / "ptc")
    assert path is not None
    articles = load_ptc(path)
    assert len(articles) > 300
    techniques = {t for a in articles for _, _, t in a.spans}
    assert "Loaded_Language" in techniques and len(techniques) == 14
    for a in articles:
        for s, e, _ in a.spans:
            assert 0 <= s < e <= len(a.text)
            assert a.text[s:e].strip()
