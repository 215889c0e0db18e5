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


# --- session 10: attributes read with Doc.to_array (sourcetrace.nlp.columns) ---------------

MORE = (
    "BREAKING:  İstanbul  talks stall\n\n\n"
    "It is said to have been a #FreeTheVote rally, and #FreeTheVote trended again. Senator "
    "Jane Roe (D) and Tom Reed, R-Ohio, were reportedly there. Officials are believed to "
    "worry about the so-called \"experts\" and the West Nile virus during the Summer "
    "Olympics; they were thought to blame the Marburg virus.\tThe 2020 Summer Olympics "
    "went ahead.  "
)


def test_token_columns_equal_the_token_attributes(nlp) -> None:
    from sourcetrace.nlp.columns import token_columns

    reads = {
        "ORTH": lambda t: t.text, "LOWER": lambda t: t.lower_, "LEMMA": lambda t: t.lemma_,
        "POS": lambda t: t.pos_, "TAG": lambda t: t.tag_, "DEP": lambda t: t.dep_,
        "SHAPE": lambda t: t.shape_, "ENT_TYPE": lambda t: t.ent_type_,
        "HEAD": lambda t: t.head.i, "IDX": lambda t: t.idx, "LENGTH": len,
        "SPACY": lambda t: bool(t.whitespace_), "IS_SPACE": lambda t: t.is_space,
        "IS_TITLE": lambda t: t.is_title, "IS_UPPER": lambda t: t.is_upper,
        "IS_LOWER": lambda t: t.is_lower, "IS_ALPHA": lambda t: t.is_alpha,
        "IS_PUNCT": lambda t: t.is_punct,
    }
    for text in (TEXT, MORE, "", "x"):
        doc = nlp(text)
        names = list(reads)
        for name, col in zip(names, token_columns(doc, names), strict=True):
            assert col == [reads[name](t) for t in doc], name
        # any subset, in any order, says the same
        assert token_columns(doc, ("IDX", "LOWER")) == [
            [t.idx for t in doc], [t.lower_ for t in doc]]


def _hits_reference(lexicon, doc) -> list:  # type: ignore[no-untyped-def]
    from sourcetrace.extract.language.lexicon import Hit

    out = []
    for tok in doc:
        cats = lexicon.words.get(tok.lower_)
        if cats is None:
            cats = lexicon.words.get(tok.lemma_.lower())
        if cats:
            out.extend(Hit(tok.i, tok.i + 1, c) for c in cats)
    vocab_strings = doc.vocab.strings
    out.extend(Hit(s, e, vocab_strings[m]) for m, s, e in lexicon.phrases(doc))
    return out


def _hedge_reference(lexicon, doc) -> list:  # type: ignore[no-untyped-def]
    """The hedge rules as they were: a Token per token and a spaCy Matcher."""
    from sourcetrace.extract.language.lexicon import HEDGE_WORDS, Hit, _drop_nested

    found = [Hit(t.i, t.i + 1, "hedge") for t in doc if t.lower_ in HEDGE_WORDS]
    found += [Hit(s, e, "hedge") for _, s, e in lexicon.hedges(doc)]
    found += [Hit(s, e, "hedge") for _, s, e in lexicon.hedge_patterns(doc)]
    return _drop_nested(found)


def test_language_rules_from_lists_agree_with_token_reads_and_the_matcher(nlp) -> None:
    from sourcetrace.extract.language.features import in_quotes
    from sourcetrace.extract.language.lexicon import (
        _HEDGE_BE,
        _HEDGE_PARTICIPLES,
        HEDGE_WORDS,
        hedge_pattern_hits,
    )

    lexicon = lexicon_for(nlp.vocab)
    for text in (TEXT, MORE):
        doc = nlp(text)
        assert lexicon.hits(doc) == _hits_reference(lexicon, doc)
        got = lexicon.hedge_hits(doc)
        assert got == _hedge_reference(lexicon, doc)
        assert len(got) >= 3 or text is TEXT
        ctx = DocContext(doc, lexicon)
        assert ctx.quoted == in_quotes(doc)
        assert ctx.cols.lemma == [t.lemma_.lower() for t in doc]
    # the "<be> <participle> to" pattern on many generated token sequences
    rng = random.Random(10)
    pool = [*_HEDGE_BE[:4], *_HEDGE_PARTICIPLES[:5], "to", "To", "IS", "it", "x", HEDGE_WORDS[0]]
    matched = 0
    for _ in range(3_000):
        doc = nlp.make_doc(" ".join(rng.choice(pool) for _ in range(rng.randint(0, 9))))
        want = sorted(s for _, s, _ in lexicon.hedge_patterns(doc))
        assert hedge_pattern_hits([t.lower_ for t in doc]) == want, doc.text
        assert lexicon.hedge_hits(doc) == _hedge_reference(lexicon, doc), doc.text
        matched += bool(want)
    assert matched > 100


def test_names_scans_from_lists_agree_with_token_loops(nlp) -> None:
    from sourcetrace.extract.names import component as names
    from sourcetrace.nlp.labels import PARTY_LETTERS

    for text in (TEXT, MORE):
        doc = nlp.make_doc(text)
        for name, proc in nlp.pipeline:  # the pipes up to the names component's input
            if name == "sourcetrace_names":
                break
            doc = proc(doc)
        view = names._View(doc)
        assert view.words == [t.text for t in doc]
        assert view.text[view.starts[3] : view.ends[6]] == doc[3:7].text
        assert names._hashtags(doc, view) == names._hashtags(doc)
        ref_tags: dict[str, list[int]] = {}
        for t in doc[1:]:
            if doc[t.i - 1].text == "#" and not doc[t.i - 1].whitespace_ and t.is_alpha and (
                t.text[:1].isupper()
            ):
                ref_tags.setdefault(t.text, []).append(t.i)
        assert [n.start for n in names._hashtags(doc, view)] == [
            i for found in ref_tags.values() if len(found) >= 2 for i in found]
        letters = [t.i for t in doc[1:-1] if t.text in PARTY_LETTERS]
        assert {n.start for n in names._party_letters(doc, view)} <= set(letters)
        ref_diseases = set()
        for t in doc:
            if not (t.lower_ in names.NOT_PLACE_AFTER or t.lower_.endswith("virus")) or t.i == 0:
                continue
            start = t.i
            while start > max(0, t.i - 3) and (doc[start - 1].is_title or doc[start - 1].is_upper):
                start -= 1
            ref_diseases.update(doc[k : t.i].text for k in range(start, t.i))
        assert names._diseases(doc, view) == ref_diseases
        ref_events = [t.i for t in doc if t.lower_ in names.EVENT_HEADS and t.is_title and t.i]
        assert {n.end - 1 for n in names._events(doc, [], view)} <= set(ref_events)
    assert "West Nile" in names._diseases(doc) and "Marburg" in names._diseases(doc)
    assert len(names._hashtags(doc)) == 2 and names._events(doc, [])


def _normalize_reference(text: str) -> str:
    """The gazetteer key as computed before its two shortcuts (a regex split per chunk, a
    regex substitution per key)."""
    from unidecode import unidecode

    from sourcetrace.extract.places.gazetteer import _ARTICLES, _FREE_ARTICLES, _GLUED

    s = unidecode(text).lower().replace("'", "").replace("`", "").replace(".", "")
    s = s.replace("&", " and ")
    words: list[str] = []
    for i, chunk in enumerate(s.split()):
        parts = [p for p in re.split(r"[^a-z0-9]+", chunk) if p]
        if len(parts) > 1 and parts[0] in _ARTICLES:
            parts = parts[1:]
        for p in parts:
            if p in _FREE_ARTICLES:
                continue
            if i > 0 and _GLUED.match(p) and len(p) > 4:
                p = p[2:] if p[1] != "h" else p[3:]
            words.append(p)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    if not words:
        words = re.findall(r"[a-z0-9]+", s)
    return re.sub(r"(?<=[aeiou])h\b", "", " ".join(words))


def test_gazetteer_key_shortcuts_agree_with_the_regexes() -> None:
    from sourcetrace.extract.places.gazetteer import normalize

    pieces = ["al", "Al", "el", "ez", "Ezzor", "the", "The", "Hasakah", "ah", "h", "-", "'",
              ".", "&", " ", " ", "  ", "São", "Đà", "ß", "İ", "2", "x9", "ash", "Shh", "`",
              "\t", "½", "ﬁ", "Zor", "Dayr"]
    rng = random.Random(1010)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert normalize.__wrapped__(text) == _normalize_reference(text), text
    assert normalize("Deir ez-Zor") == "deir zor" and normalize("Hasakah") == "hasaka"
