"""Claim-worthiness: which sentences assert something a fact-checker could check.

The rules (numbered as in :mod:`sourcetrace.link.claims`, which documents them in full) look
at a sentence's text (title, length, boilerplate, questions, teasers) and at its parse
(imperatives, no finite verb, first-person opinion, prescriptive modals, evaluative copulas).

The parse rules run here, in the per-document pass, as the ``sourcetrace_claimworthy``
component: the doc is already parsed, so judging each sentence costs almost nothing, whereas
judging it later in the claims step meant parsing every candidate sentence a second time.
The verdict of each sentence goes to ``doc._.claim_checks`` ("ok" or the rule that rejects
it) and from there to the ``claim_check`` column of the ``sentences`` table; the verdict on
each attribution's content goes to ``doc._.content_checks`` and the ``content_check`` column
of ``attributions``.

The claims step cuts sentences at line breaks (:func:`line_pieces`) and judges each piece;
it never parses, so every piece it judges needs a verdict from here. The
``sourcetrace_paragraphs`` component ends a sentence at every line break, so a sentence is
one piece and its ``claim_check`` is that piece's verdict. Should a sentence still span
line breaks (a pipeline whose parser ignores preset boundaries), each of its pieces is
judged on the doc's own parse, one verdict per piece in ``doc._.line_checks`` and the
``line_checks`` column (NULL for a sentence of one piece).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from spacy.language import Language
from spacy.tokens import Doc, Span

if not Doc.has_extension("claim_checks"):
    Doc.set_extension("claim_checks", default=None)
if not Doc.has_extension("content_checks"):
    # One verdict per attribution of doc._.attributions, on its content.
    Doc.set_extension("content_checks", default=None)
if not Doc.has_extension("line_checks"):
    # Per sentence: None, or one verdict per line piece when the sentence spans line breaks.
    Doc.set_extension("line_checks", default=None)

MIN_WORDS = 4
CLAIM_OK = "ok"  # the verdict of a sentence that no parse rule rejects

BOILERPLATE = re.compile(
    r"^\W*(read (more|the full|also|next)|leave a (reply|comment)|click (here|to)|"
    r"sign up|subscribe|follow us|share (this|on)|advertisement|related( articles?| stories)?:|"
    r"see also|all rights reserved|copyright|©|\(?photo|image:|picture:|video:|watch:|"
    r"listen:|getty images|reuters/|ap photo|this (article|story) (was|has been|is) "
    r"(updated|corrected)|we use cookies|comments? (are|is) closed|posted (on|by|in)\b|"
    r"filed under|tags?:|you may also like|more from|trending:|editor'?s note)",
    re.I,
)
TEASER = re.compile(
    r"(here'?s (what|why|how|everything)|what (you|we) (need to )?know|what we know|"
    r"you won'?t believe|find out (what|why|how)|^\W*(watch|listen|explainer|analysis|"
    r"live updates?|breaking)\s*[:\-–—])",
    re.I,
)
HEDGE = re.compile(
    r"\b(reportedly|allegedly|alleged|apparently|purportedly|supposedly|possibly|perhaps|"
    r"probably|likely|unconfirmed|unverified|rumou?red|may|might|could|seems?|seemed|"
    r"appears? to|appeared to|believed to|thought to|said to be|suspected|claims?)\b",
    re.I,
)
OPINION_VERBS = {
    "think", "believe", "feel", "hope", "wish", "guess", "suppose", "love", "hate", "like",
    "want", "agree", "disagree", "doubt", "fear", "expect",
}
PRESCRIPTIVE_MODALS = {"should", "must", "ought"}
EVALUATIVE = {
    "good", "bad", "great", "terrible", "awful", "horrible", "outrageous", "shameful",
    "disgraceful", "ridiculous", "absurd", "wonderful", "amazing", "important", "obvious",
    "clear", "sad", "unacceptable", "disgusting", "wrong", "right", "stupid", "brilliant",
    "crazy", "insane", "pathetic", "fantastic", "incredible", "interesting", "shocking",
    "appalling", "scandalous", "tragic", "unfair", "fair", "true", "false", "best", "worst",
    "disgrace", "shame", "joke", "travesty", "scandal", "nonsense", "mistake", "failure",
    "necessary", "essential", "vital", "crucial", "irresponsible", "dangerous", "hypocritical",
}
FIRST_PERSON = {"i", "we"}
CLOSERS = "\"'”’»)]} \t"


def line_pieces(text: str, offset: int = 0) -> list[tuple[int, int, str]]:
    """A sentence cut at line breaks: each non-blank line stripped, as (start, end, text)
    with ``start``/``end`` counted from ``offset`` (the sentence's start in the document).
    The claims step and the NLP pass cut sentences with this one function, so that every
    piece the claims step judges is a piece judged here."""
    pieces = []
    for m in re.finditer(r"[^\n]+", text):
        piece = m.group(0)
        stripped = piece.strip()
        if stripped:
            start = offset + m.start() + len(piece) - len(piece.lstrip())
            pieces.append((start, start + len(stripped), stripped))
    return pieces


def words_key(text: str) -> str:
    """Lower-cased words joined by spaces: text compared without case and punctuation."""
    return " ".join(re.findall(r"\w+", text.lower()))


def is_question(text: str) -> bool:
    return text.rstrip(CLOSERS).endswith("?")


WH_START = re.compile(r"^\W*(what|whether|how|why|who|whom|when|where|which)\b", re.I)


def is_fragment(content: str) -> bool:
    """An attribution content that asserts nothing: an indirect question, or a bare noun
    phrase of fewer than three words without a number."""
    words = re.findall(r"\w+", content)
    if WH_START.match(content):
        return True
    return len(words) < 3 and not any(w[0].isdigit() for w in words)


def is_hedged(text: str) -> bool:
    return HEDGE.search(text) is not None


def text_rejection(text: str, title: str | None = None) -> str | None:
    """Why a sentence is not a claim on its text alone (rules 2-4), or None."""
    key, title_key = words_key(text), words_key(title or "")
    if title and (key == title_key or fuzz.ratio(key, title_key) >= 90):
        return "title"
    if len(re.findall(r"\w+", text)) < MIN_WORDS:
        return "short"
    if BOILERPLATE.search(text):
        return "boilerplate"
    if is_question(text):
        return "question"
    if TEASER.search(text):
        return "teaser"
    return None


def _has_finite_verb(sent: Span) -> bool:
    return any(
        t.tag_ in {"VBD", "VBZ", "VBP", "MD"} or "Fin" in t.morph.get("VerbForm") for t in sent
    )


def parse_rejection(sent: Span) -> str | None:
    """Why a parsed sentence is not a claim (rules 5-7), or None."""
    root = sent.root
    subjects = [t for t in root.children if t.dep_ in {"nsubj", "nsubjpass", "expl", "csubj"}]
    # Checked before the finite-verb rule: a bare imperative has no finite verb either, and
    # naming it an imperative says more.
    if root.tag_ == "VB" and not subjects and not any(c.dep_ == "aux" for c in root.children):
        return "imperative"
    if not _has_finite_verb(sent):
        return "no finite verb"
    has_number = any(t.like_num or t.pos_ == "NUM" for t in sent)
    has_name = any(t.pos_ == "PROPN" for t in sent)
    if any(s.lower_ in FIRST_PERSON for s in subjects) and (
        root.lemma_.lower() in OPINION_VERBS or not (has_number or has_name)
    ):
        return "opinion: first person"
    aux = [c for c in root.children if c.dep_ == "aux"]
    if any(a.lower_ in PRESCRIPTIVE_MODALS for a in aux) or (
        root.lemma_ == "need" and any(c.dep_ == "xcomp" for c in root.children)
        and any(s.lower_ in FIRST_PERSON | {"you"} for s in subjects)
    ):
        return "opinion: prescriptive"
    if root.lemma_ == "be" or root.pos_ == "ADJ":
        predicates = [c for c in root.children if c.dep_ in {"acomp", "attr"}]
        if root.pos_ == "ADJ":
            predicates.append(root)
        if not has_number and any(p.lemma_.lower() in EVALUATIVE for p in predicates):
            return "opinion: evaluative"
        if (
            not (has_number or has_name)
            and any(s.lower_ in {"this", "that", "it"} for s in subjects)
            and any(p.pos_ == "ADJ" for p in predicates)
        ):
            return "opinion: evaluative"
    return None


def content_rejection(content: Span) -> str | None:
    """Why an attribution's content is no claim: a noun phrase with neither a verb nor a
    number ("criticised *Mueller's probe*", "asked about *the White House*") names a topic
    and asserts nothing."""
    if any(t.pos_ in {"VERB", "AUX"} or t.like_num or t.pos_ == "NUM" for t in content):
        return None
    return "no verb"


def line_verdicts(sent: Span) -> list[str] | None:
    """The verdict of each line piece of a sentence that spans line breaks, judged on the
    doc's parse (the piece's tokens as a span); None for a sentence of one piece, whose
    verdict is the sentence's."""
    pieces = line_pieces(sent.text, sent.start_char)
    if len(pieces) < 2:
        return None
    doc = sent.doc
    verdicts = []
    for start, end, _text in pieces:
        span = doc.char_span(start, end, alignment_mode="expand")
        verdicts.append((parse_rejection(span) if span else None) or CLAIM_OK)
    return verdicts


@Language.component("sourcetrace_claimworthy")
def claimworthy(doc: Doc) -> Doc:
    """Judge every sentence with the parse rules (5-7), each line piece of a sentence that
    spans line breaks, and every attribution's content; see the module docstring."""
    sents = list(doc.sents)
    doc._.claim_checks = [parse_rejection(sent) or CLAIM_OK for sent in sents]
    doc._.line_checks = [line_verdicts(sent) for sent in sents]
    checks = []
    for att in (doc._.attributions if Doc.has_extension("attributions") else None) or []:
        span = doc.char_span(att.content_start, att.content_end, alignment_mode="expand")
        checks.append((content_rejection(span) if span is not None else None) or CLAIM_OK)
    doc._.content_checks = checks
    return doc
