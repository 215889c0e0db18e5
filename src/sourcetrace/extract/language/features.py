"""Features for the two models: token features for the span tagger (CRF over sentences) and
span features for the technique classifier. Both only read what the spaCy pipeline already
computed plus our lexicon, so inference adds no model of its own besides two linear ones."""

from __future__ import annotations

import math
import re
from collections import Counter

from spacy.tokens import Doc, Span

from sourcetrace.extract.language.lexicon import LEXICON, Lexicon
from sourcetrace.nlp.columns import token_columns

CONTENT_POS = {"NOUN", "PROPN", "ADJ", "VERB", "ADV"}
_OPEN_QUOTES = {"“", "‘", "«"}
_CLOSE_QUOTES = {"”", "’", "»"}
_WORD = re.compile(r"\w+")


def _bucket(n: float, edges: tuple[float, ...]) -> int:
    for i, edge in enumerate(edges):
        if n <= edge:
            return i
    return len(edges)


def in_quotes(doc: Doc, words: list[str] | None = None,
              space: list[bool] | None = None) -> list[bool]:
    """Token inside quotation marks (straight quotes toggle; the state resets per paragraph,
    since unbalanced quotes are common in scraped news). ``words``/``space``: the tokens'
    texts and ``is_space`` flags, when the caller has read them already."""
    if words is None or space is None:
        words, space = token_columns(doc, ("ORTH", "IS_SPACE"))
    flags = [False] * len(words)
    inside = False
    for i, text in enumerate(words):
        if space[i] and "\n" in text:
            inside = False
        elif text == '"' or text == "''" or text == "``":
            inside = not inside
        elif text in _OPEN_QUOTES:
            inside = True
        elif text in _CLOSE_QUOTES and text != "’":
            inside = False
        else:
            flags[i] = inside
    return flags


# What the tagger's features and the lexicon read of every token, in one Doc.to_array call.
_COLUMNS = ("ORTH", "LOWER", "LEMMA", "POS", "TAG", "DEP", "SHAPE", "ENT_TYPE", "HEAD",
            "IS_SPACE", "IS_TITLE", "IS_UPPER", "LENGTH")


class Columns:
    """Per-token attributes of one doc as lists (see :mod:`sourcetrace.nlp.columns`)."""

    def __init__(self, doc: Doc) -> None:
        (self.words, self.lower, lemma, self.pos, self.tag, self.dep, shape, self.ent,
         self.head, self.space, self.title, upper, length) = token_columns(
            doc, _COLUMNS)
        lowered = {s: s.lower() for s in set(lemma)}
        self.lemma = [lowered[s] for s in lemma]  # lemma_.lower()
        self.shape = [s[:4] for s in shape]
        self.upper = [u and n > 1 for u, n in zip(upper, length, strict=True)]
        self.is_upper = upper


class DocContext:
    """Per-document values shared by the token and span features (computed once per doc)."""

    def __init__(self, doc: Doc, lexicon: Lexicon, cols: Columns | None = None) -> None:
        self.doc = doc
        self.cols = cols = cols or Columns(doc)
        self.cats = lexicon.token_categories(doc, cols.lower, cols.lemma)
        self.quoted = in_quotes(doc, cols.words, cols.space)
        lemma, pos = cols.lemma, cols.pos
        self.lemma_counts = Counter(
            lemma[i] for i in range(len(pos)) if pos[i] in CONTENT_POS
        )
        # Doc.text joins every token on each access: read it once.
        self.text = doc.text
        self.lower_text = self.text.lower()
        self.sents = list(doc.sents)
        self.sent_of = [0] * len(doc)
        for k, sent in enumerate(self.sents):
            a, b = sent.start, sent.end
            self.sent_of[a:b] = [k] * (b - a)
        self.sent_cats: list[set[str]] = []
        for sent in self.sents:
            cats: set[str] = set()
            for i in range(sent.start, sent.end):
                cats |= self.cats[i]
            self.sent_cats.append(cats)
        self._tokens: _Tokens | None = None

    @property
    def tokens(self) -> _Tokens:
        """What :func:`token_features` reads of every token, read from spaCy once."""
        if self._tokens is None:
            self._tokens = _Tokens(self)
        return self._tokens


class _Tokens:
    """Per-token strings of one doc, in lists indexed by token. spaCy makes a new Token
    object, and decodes each string attribute, on every access: the tagger's features read
    each token's attributes up to six times (as itself, its neighbours' and heads'), which
    was over a third of the language component's time."""

    def __init__(self, ctx: DocContext) -> None:
        c = ctx.cols
        self.space, self.lower, self.pos, self.lemma = c.space, c.lower, c.pos, c.lemma
        self.tag, self.dep, self.shape, self.ent = c.tag, c.dep, c.shape, c.ent
        self.head, self.title, self.upper = c.head, c.title, c.upper
        # features of a token that are also, prefixed, those of its neighbours
        self.base = [
            ["SPACE"] if self.space[i] else
            [f"w={self.lower[i]}", f"p={self.pos[i]}", *(f"c={c}" for c in ctx.cats[i])]
            for i in range(len(self.space))
        ]


def token_features(ctx: DocContext, sent: Span) -> list[list[str]]:
    """CRF features of every token of ``sent``: the token, its ±2 window, its syntactic head,
    lexicon categories of the token, the window and the sentence, and position and quoting.
    A token's own words, part of speech and categories (``_Tokens.base``) are also its
    neighbours' features, prefixed with the offset."""
    tk = ctx.tokens
    first = sent.start
    base = tk.base[first : sent.end]
    n = len(base)
    k = ctx.sent_of[first]
    sent_feats = [f"sc={c}" for c in ctx.sent_cats[k]]
    sent_text = ctx.text[sent.start_char : sent.end_char]
    if "!" in sent_text:
        sent_feats.append("s!")
    if "?" in sent_text:
        sent_feats.append("s?")
    sent_feats.append(f"slen={_bucket(n, (5, 10, 20, 35, 60))}")
    sent_feats.append(f"spos={_bucket(k, (0, 1, 3, 8, 20))}")
    lower, lemma, pos = tk.lower, tk.lemma, tk.pos
    out: list[list[str]] = []
    for j in range(n):
        i = first + j
        if tk.space[i]:
            out.append(["SPACE"])
            continue
        h = tk.head[i]
        dep = tk.dep[i]
        f = ["bias", f"l={lemma[i]}", f"t={tk.tag[i]}", f"d={dep}",
             f"sh={tk.shape[i]}", f"suf={lower[i][-3:]}",
             f"hl={lemma[h]}", f"hp={pos[h]}",
             f"dh={dep}|{pos[h]}", f"ent={tk.ent[i]}"]
        f.extend(base[j])
        if tk.title[i] and j > 0:
            f.append("title")
        if tk.upper[i]:
            f.append("upper")
        if ctx.quoted[i]:
            f.append("quoted")
        if pos[i] in CONTENT_POS:
            f.append(f"rep={_bucket(ctx.lemma_counts[lemma[i]], (1, 2, 4, 8))}")
        f.append(f"rel={_bucket(j / max(n, 1), (0.1, 0.3, 0.6, 0.9))}")
        if j == 0:
            f.append("BOS")
        if j == n - 1:
            f.append("EOS")
        for off in (-2, -1, 1, 2):
            m = j + off
            if 0 <= m < n:
                f.extend(f"{off}{x}" for x in base[m])
        if 0 < j < n - 1:
            f.append(f"-1w+1w={lower[i - 1]}|{lower[i + 1]}")
        f.extend(sent_feats)
        out.append(f)
    return out


# --- technique classification -------------------------------------------------------------


def span_text_features(ctx: DocContext, start: int, end: int) -> tuple[str, dict[str, float]]:
    """(span text for n-gram features, hand-made features) of the character span."""
    doc = ctx.doc
    text = ctx.text[start:end]
    span = doc.char_span(start, end, alignment_mode="expand")
    feats: dict[str, float] = {}
    n_chars = max(end - start, 1)
    words = _WORD.findall(text)
    feats["len_chars"] = math.log1p(n_chars)
    feats[f"len_words={_bucket(len(words), (1, 2, 3, 5, 8, 13, 20, 30))}"] = 1.0
    # How often the span recurs in the article: the one strong cue for Repetition.
    occurrences = ctx.lower_text.count(text.lower().strip()) if text.strip() else 0
    feats[f"occurs={_bucket(occurrences, (1, 2, 3, 5))}"] = 1.0
    if words:
        caps = sum(w[0].isupper() for w in words) / len(words)
        feats["caps"] = caps
    feats["excl"] = float("!" in text)
    feats["quest"] = float("?" in text)
    feats["quote_char"] = float(any(q in text for q in "\"“”"))
    if span is None or len(span) == 0:
        return text, feats
    cats: Counter[str] = Counter()
    for i in range(span.start, span.end):
        cats.update(ctx.cats[i])
    for c, v in cats.items():
        feats[f"cat={c}"] = math.log1p(v)
    k = ctx.sent_of[span.start]
    sent = ctx.sents[k]
    for c in ctx.sent_cats[k]:
        feats[f"scat={c}"] = 1.0
    cover = (span.end - span.start) / max(len(sent), 1)
    feats[f"cover={_bucket(cover, (0.1, 0.25, 0.5, 0.8, 1.0))}"] = 1.0
    feats["quoted"] = float(ctx.quoted[span.start])
    c = ctx.cols
    pos, lower, space = c.pos, c.lower, c.space
    a, b = span.start, span.end
    feats[f"first_pos={pos[a]}"] = 1.0
    feats[f"last_pos={pos[b - 1]}"] = 1.0
    feats[f"root_pos={span.root.pos_}"] = 1.0
    for i in range(a, b):
        if c.ent[i]:
            feats[f"ent={c.ent[i]}"] = 1.0
        if pos[i] in ("VERB", "AUX") and c.tag[i] == "MD":
            feats["modal"] = 1.0
    for m in range(max(0, a - 3), a):
        if not space[m]:
            feats[f"pre={lower[m]}"] = 1.0
    for m in range(b, min(len(doc), b + 2)):
        if not space[m]:
            feats[f"post={lower[m]}"] = 1.0
    # Lemmas of the sentence around the span: "said", "according" point to authority etc.
    for i in range(sent.start, sent.end):
        if i < a or i >= b:
            if pos[i] in CONTENT_POS or lower[i] in ("if", "either", "because", "why"):
                feats[f"ctx={c.lemma[i]}"] = 0.5
    return text, feats


LEXICON_CATEGORIES = tuple(LEXICON)
