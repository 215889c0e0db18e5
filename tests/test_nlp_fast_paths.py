"""The NLP pass's fast paths say exactly what the slower code they replaced said.

Each extractor that now reads token attributes from lists built once per doc, or a string
test by hand instead of a regex, is compared here with the straightforward version on our own
example texts (and, for the string test, on many generated strings)."""

from __future__ import annotations

import random
import re

from spacy.tokens import Span, Token

from sourcetrace.extract.attribution.boundaries import Words, _rel
from sourcetrace.extract.language.features import DocContext, token_features
from sourcetrace.extract.language.lexicon import lexicon_for
from sourcetrace.extract.names.component import after_lower_word
from sourcetrace.extract.places.component import _Tokens

TEXT = (
    "Rebels Seize Town Near Aleppo\n\n"
    "DAMASCUS (Reuters) - Syrian rebels said on Monday they had taken al-Tanf, a town near "
    "the border with Iraq, and the Syrian Observatory for Human Rights, a U.K.-based monitor, "
    "confirmed it. \"We have NO idea what comes next,\" one fighter told reporters in Deir "
    "ez-Zor. Officials in Washington declined to comment; the Pentagon's spokesman, John "
    "Kirby, said the U.S. was \"watching closely\". Planned Parenthood was not involved, "
    "though some said Planned Parenthood had been — really! — consulted.\n"
    "Will prices rise? Analysts at Goldman Sachs expect a 3% rise by next year."
)


def _regex(text: str, name: str) -> bool:
    return re.search(
        r"(?:^|[\s(])[a-z]+[,;]?\s+" + re.escape(name) + r"\b", text
    ) is not None


def test_lower_word_test_agrees_with_the_regex_it_replaced() -> None:
    pieces = list("ab zZ(,;\n\t\u00a0é_1.-") + ["Ab", "ab", "A b", "said "]
    names = ["A", "b", "Ab", "A b", "é", "_", ".", " ", "(", "z", "Ab."]
    rng = random.Random(19)
    seen = {True: 0, False: 0}
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        name = "".join(rng.choice(names) for _ in range(rng.randint(0, 3)))
        want = _regex(text, name)
        assert after_lower_word(text, name) == want, (text, name)
        seen[want] += 1
    assert min(seen.values()) > 1_000  # both answers were exercised
    # the cases the names component asks about
    assert after_lower_word(TEXT, "Planned Parenthood")  # "said Planned Parenthood"
    assert after_lower_word(TEXT, "Goldman Sachs")  # "at Goldman Sachs"
    assert not after_lower_word(TEXT, "Rebels Seize")  # the headline's start
    assert not after_lower_word(TEXT, "DAMASCUS (Reuters)")  # after a capitalised word


def _tight_reference(span: Span) -> bool:
    """The span-walking check the gazetteer scan used before."""
    if not span[0].is_alpha or not (span[-1].is_alpha or span[-1].text[:-1].isalpha()):
        return False
    for t in span:
        if t.is_space or (t.is_punct and t.text not in ("-", "'", "’")):
            return False
        if t.is_punct and t.i > span.start and t.text == "-" and (
            t.whitespace_ or t.nbor(-1).whitespace_
        ):
            return False
    return True


def test_place_scan_token_view_agrees_with_the_span_checks(nlp) -> None:
    doc = nlp(TEXT)
    view = _Tokens(doc)
    tight = 0
    for a in range(len(doc)):
        assert view.capital[a] == (doc[a].is_title or (doc[a].is_upper and len(doc[a]) > 1))
        for b in range(a + 1, min(len(doc), a + 6) + 1):
            span = doc[a:b]
            assert view.tight(a, b) == _tight_reference(span), span.text
            assert view.text[view.starts[a] : view.ends[b - 1]] == span.text
            tight += view.tight(a, b)
    assert tight > 20


def _rel_reference(tok: Token, cue: set[int], heads: set[int]) -> str:
    """The token walk the boundary features used before (``is`` on spaCy tokens is never
    true: a new Token object comes back on every access)."""
    if tok.i in cue:
        return "cue"
    if tok.head.i in heads and tok.head is not tok:
        return f"child:{tok.dep_}"
    cur = tok
    for _ in range(8):
        if cur.head is cur:
            break
        cur = cur.head
        if cur.i in heads:
            return "below"
    return "other"


def test_boundary_relation_to_the_cue_agrees_with_the_token_walk(nlp) -> None:
    doc = nlp(TEXT)
    ws = Words(doc)
    kinds = set()
    for cue_tok in (t for t in doc if t.lemma_ in ("say", "tell", "confirm", "expect")):
        cue, heads = {cue_tok.i}, {cue_tok.i}
        for tok in doc:
            got = _rel(tok, cue, heads, ws.head)
            assert got == _rel_reference(tok, cue, heads)
            kinds.add(got.split(":")[0])
    assert kinds == {"cue", "child", "below", "other"}


def test_technique_tagger_features_agree_with_token_reads(nlp) -> None:
    """Spot checks of the features read from lists against spaCy's tokens themselves."""
    doc = nlp(TEXT)
    ctx = DocContext(doc, lexicon_for(nlp.vocab))
    for sent in ctx.sents:
        feats = token_features(ctx, sent)
        assert len(feats) == len(sent)
        for tok, f in zip(sent, feats, strict=True):
            if tok.is_space:
                assert f == ["SPACE"]
                continue
            assert f[:10] == [
                "bias", f"l={tok.lemma_.lower()}", f"t={tok.tag_}", f"d={tok.dep_}",
                f"sh={tok.shape_[:4]}", f"suf={tok.lower_[-3:]}",
                f"hl={tok.head.lemma_.lower()}", f"hp={tok.head.pos_}",
                f"dh={tok.dep_}|{tok.head.pos_}", f"ent={tok.ent_type_}",
            ]
            assert f"w={tok.lower_}" in f and f"p={tok.pos_}" in f
            assert ("s?" in f) == ("?" in sent.text)
            assert ("upper" in f) == (tok.is_upper and len(tok) > 1)
