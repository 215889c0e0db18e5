"""Our own word lists for loaded language and persuasion techniques, plus the rules for the two
labels PTC does not annotate: ``hedge`` and ``scare_quotes``.

The lists are written by hand for sourcetrace (not taken from any corpus). They serve three
purposes: features for the statistical span tagger and technique classifier (they let the model
generalise from a word seen in training to its near-synonyms here), the lexicon-only baseline of
``benchmarks/language.py``, and the fallback when no trained model is available.

Single words are matched on the lemma *and* the lower-cased form (so "thugs" hits "thug");
multi-word entries are matched on the lower-cased token sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from sourcetrace.nlp.columns import token_columns

# Lexicon category -> the PTC technique a hit of that category most likely belongs to. Used by
# the lexicon baseline and the lexicon fallback; the statistical model only sees categories.
CATEGORY_TECHNIQUE: dict[str, str] = {
    "loaded": "Loaded_Language",
    "name_calling": "Name_Calling,Labeling",
    "flag_waving": "Flag-Waving",
    "fear": "Appeal_to_fear-prejudice",
    "doubt": "Doubt",
    "exaggeration": "Exaggeration,Minimisation",
    "hitler": "Bandwagon,Reductio_ad_hitlerum",
    "bandwagon": "Bandwagon,Reductio_ad_hitlerum",
    "authority": "Appeal_to_Authority",
    "causal": "Causal_Oversimplification",
    "black_white": "Black-and-White_Fallacy",
    "cliche": "Thought-terminating_Cliches",
    "whatabout": "Whataboutism,Straw_Men,Red_Herring",
    "slogan": "Slogans",
}

# Categories precise enough to report a span on their own (the lexicon fallback); the others
# ("authority", "causal", "exaggeration" ...) are cues that need the model's context.
STANDALONE = ("loaded", "name_calling", "flag_waving", "hitler", "slogan", "cliche")

LEXICON: dict[str, tuple[str, ...]] = {
    "loaded": (
        "abhorrent", "abominable", "abuse", "abysmal", "agony", "alarming", "appalling",
        "assault", "atrocious", "atrocity", "attack", "awful", "barbaric", "barbarity",
        "betray", "betrayal", "bizarre", "blatant", "bloodbath", "bloodthirsty", "bloody",
        "blunder", "bogus", "brazen", "brutal", "brutality", "brutally", "butcher", "carnage",
        "chaos", "chaotic", "cruel", "cruelty", "crush", "crusade", "damn", "damning", "deadly",
        "debacle", "deceit", "deceitful", "deceive", "deceptive", "defiant", "degenerate",
        "demonic", "demonize", "deplorable", "depraved", "despicable", "destroy", "devastate",
        "devastating", "devious", "diabolical", "dirty", "disastrous", "disgrace",
        "disgraceful", "disgusting", "dishonest", "dreadful", "egregious", "evil",
        "exploit", "explosive", "fanatical", "fiasco", "filthy", "fraud", "fraudulent",
        "frenzy", "furious", "fury", "ghastly", "gruesome", "hateful", "heinous", "hellish",
        "heroic", "hideous", "horrendous", "horrible", "horrific", "horrifying", "hostile",
        "hypocrisy", "hypocritical", "insane", "insidious", "lunatic", "madness", "malicious",
        "massacre", "menace", "merciless", "monstrous", "nasty", "nefarious", "notorious",
        "obscene", "odious", "outrage", "outrageous", "pathetic", "persecution", "plague",
        "plunder", "poison", "propaganda", "rampage", "rant", "ravage", "reckless",
        "repugnant", "repulsive", "revolting", "ridiculous", "rotten", "ruthless", "sadistic",
        "savage", "scandal", "scandalous", "scheme", "shameful", "shameless", "shocking",
        "sick", "sinister", "slaughter", "slam", "smear", "sneaky", "stench", "stunning",
        "terrible", "terrorize", "toxic", "tragic", "treacherous", "tyrannical", "tyranny",
        "ugly", "unhinged", "unthinkable", "vicious", "vile", "villain", "violent",
        "wicked", "witch hunt", "witch-hunt", "wreak havoc", "hell-bent", "war on",
        "cover-up", "cover up", "power grab", "crime against humanity", "bloodbath",
    ),
    "name_calling": (
        "bigot", "buffoon", "clown", "communist", "coward", "cowardly", "crook", "crooked",
        "degenerate", "demagogue", "despot", "dictator", "extremist", "fanatic", "fascist",
        "fool", "globalist", "goon", "hack", "hooligan", "idiot", "imbecile", "jihadi",
        "jihadist", "junta", "leftist", "liar", "libtard", "loser", "lunatic", "maniac",
        "marxist", "mob", "moron", "mouthpiece", "pervert", "puppet", "racist", "radical",
        "regime", "scum", "snowflake", "stooge", "terrorist", "thug", "traitor", "tyrant",
        "warmonger", "zealot", "elite", "elites", "mainstream media", "fake news",
        "deep state", "useful idiot", "enemy of the people", "lapdog", "henchman",
        "cronies", "crony", "shill", "propagandist", "radical left", "far left",
        "far right", "alt-right", "neocon", "neocons", "islamist", "rogue state",
        "deranged",
    ),
    "flag_waving": (
        "patriot", "patriotic", "patriotism", "homeland", "motherland", "fatherland",
        "our nation", "our country", "our people", "our flag", "our values", "our way of life",
        "our children", "our troops", "our heroes", "our borders", "our sovereignty",
        "this great nation", "great nation", "american people", "the american people",
        "every american", "true american", "true americans", "national pride",
        "national interest", "sovereignty", "freedom-loving", "god bless america",
        "our constitution", "founding fathers", "our great", "real americans",
    ),
    "fear": (
        "threat", "threaten", "danger", "dangerous", "peril", "invasion", "invade",
        "catastrophe", "catastrophic", "disaster", "doom", "doomed", "collapse", "destruction",
        "annihilate", "annihilation", "apocalypse", "apocalyptic", "terror", "terrifying",
        "nightmare", "fear", "scary", "frightening", "deadly", "lethal", "kill", "killer",
        "menace", "existential", "extinction", "wipe out", "take over", "takeover", "flood",
        "swarm", "horde", "hordes", "infest", "epidemic", "time bomb", "ticking", "crisis",
        "world war", "nuclear war", "under attack", "before it is too late",
        "before it's too late", "at risk", "imminent",
    ),
    "doubt": (
        "questionable", "dubious", "suspicious", "suspect", "doubtful", "implausible",
        "so-called", "supposed", "alleged", "claim", "claims", "unproven", "baseless",
        "credibility", "hoax", "fake", "phony", "sham", "farce", "really", "can we trust",
        "how can", "why would", "is it possible", "one wonders", "one has to wonder",
        "raises questions", "raises serious questions", "strange", "convenient",
        "conveniently", "mysteriously", "coincidence", "not clear", "unclear",
    ),
    "exaggeration": (
        "absolutely", "always", "never", "all", "every", "everyone", "everything", "nobody",
        "nothing", "totally", "completely", "entirely", "utterly", "worst", "best", "greatest",
        "biggest", "largest", "ever", "unprecedented", "enormous", "huge", "massive",
        "tremendous", "incredible", "unbelievable", "extraordinary", "extremely", "endless",
        "countless", "infinite", "whole", "literally", "merely", "mere", "only", "just",
        "tiny", "minor", "trivial", "insignificant", "nothing more than", "nothing but",
        "of all time", "in history", "in the history", "most", "very", "so much", "far more",
        "a handful", "100 percent", "one hundred percent",
    ),
    "hitler": (
        "hitler", "nazi", "nazis", "nazism", "gestapo", "third reich", "stalin", "stalinist",
        "mussolini", "pol pot", "holocaust", "genocide", "fascism", "totalitarian",
        "kristallnacht", "concentration camp", "goebbels", "kkk", "ku klux klan",
    ),
    "bandwagon": (
        "everyone knows", "everybody knows", "everybody", "the majority", "most people",
        "most americans", "millions of", "the whole world", "the world knows",
        "the people have spoken", "join the", "growing number", "more and more",
        "all over the world", "nobody believes", "no one believes", "consensus",
    ),
    "authority": (
        "according to", "expert", "experts", "scientist", "scientists", "professor",
        "doctor", "dr.", "study", "studies", "research", "researchers", "report", "official",
        "officials", "spokesman", "spokeswoman", "spokesperson", "pope", "president",
        "analyst", "analysts", "scholar", "former", "intelligence", "authorities",
        "the fbi", "the cia", "un", "united nations", "renowned", "leading", "prominent",
        "chief", "director", "said", "says", "stated", "told", "explained", "warned",
    ),
    "causal": (
        "because", "because of", "caused by", "cause", "causes", "blame", "blamed",
        "to blame", "responsible for", "the reason", "reason why", "due to", "leads to",
        "led to", "result of", "as a result", "therefore", "thus", "hence", "so that",
        "consequence", "that is why", "that's why", "which is why", "resulted in",
    ),
    "black_white": (
        "either", "or else", "either you", "you are either", "with us or", "the only way",
        "the only option", "the only solution", "the only choice", "no other choice",
        "no alternative", "no choice", "no middle ground", "there is no other", "one or the other",
        "only two", "good versus evil", "good and evil", "us or them", "us versus them",
    ),
    "cliche": (
        "it is what it is", "enough is enough", "that's just the way it is", "end of story",
        "period.", "so be it", "time will tell", "nothing to see here", "move on",
        "let's move on", "the rest is history", "it's a free country", "those are the facts",
        "facts don't lie", "you know what", "think about it", "mark my words", "that's it",
        "at the end of the day", "no matter what", "whatever it takes", "that is all",
        "simple as that", "plain and simple", "boys will be boys", "it's common sense",
    ),
    "whatabout": (
        "what about", "but what about", "and what about", "whereas", "meanwhile",
        "yet", "at the same time", "while ignoring", "double standard", "double standards",
        "hypocrites", "where was the outrage", "nobody talks about", "no one talks about",
        "they want you to believe", "want you to think", "straw man",
    ),
    "slogan": (
        "make america great again", "build the wall", "drain the swamp", "lock her up",
        "america first", "send her back", "never again", "no justice, no peace",
        "yes we can", "black lives matter", "all lives matter", "blue lives matter",
        "hands up, don't shoot", "not my president", "love trumps hate", "resist",
        "keep america great", "we will not be silenced", "stand with", "fight back",
        "take back control", "take our country back", "stop the steal", "deplorables",
    ),
}

# Hedges: cues that a statement is reported, not asserted. Multi-word patterns are below.
HEDGE_WORDS = (
    "reportedly", "allegedly", "purportedly", "supposedly", "apparently", "ostensibly",
    "seemingly", "rumoured", "rumored", "unconfirmed", "unverified", "presumably",
)
HEDGE_PHRASES = (
    "according to unconfirmed reports", "according to some reports", "it is claimed",
    "it is believed", "it is rumoured", "it is rumored", "it is alleged", "it is reported",
    "it is said", "it was claimed", "it was reported", "it was alleged", "it was said",
    "is understood to", "are understood to", "could not be independently verified",
    "could not be verified", "cannot be independently verified", "said to have",
)
_HEDGE_BE = ["is", "are", "was", "were", "be", "been", "being", "'s", "'re"]
_HEDGE_PARTICIPLES = [
    "said", "believed", "thought", "reported", "alleged", "rumoured", "rumored", "claimed",
    "understood", "suspected", "purported", "supposed", "feared",
]

# Quotation mark pairs for scare quotes (straight, curly, single curly, guillemets).
QUOTE_PAIRS = {'"': '"', "“": "”", "‘": "’", "«": "»", "„": "“"}
SPEECH_VERBS = {
    "say", "tell", "write", "add", "state", "declare", "claim", "insist", "announce", "warn",
    "note", "argue", "ask", "reply", "answer", "explain", "tweet", "post",
}
MAX_SCARE_WORDS = 4  # longer quotations are quotations, not ironic distance


@dataclass(frozen=True)
class Hit:
    """A lexicon or rule match: token range [start, end) and its category."""

    start: int
    end: int
    category: str


class Lexicon:
    """Matches the word lists and hedge patterns on a spaCy Doc. Build once per vocab."""

    def __init__(self, vocab: Vocab) -> None:
        self.words: dict[str, set[str]] = {}
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        for category, entries in LEXICON.items():
            multi = []
            for entry in entries:
                if " " in entry or "-" in entry or entry.endswith("."):
                    multi.append(entry)
                else:
                    self.words.setdefault(entry, set()).add(category)
            if multi:
                # A blank tokenizer splits the phrases like the pipeline's tokenizer does for
                # plain words and punctuation, without running the statistical model.
                self.phrases.add(category, [_tokenize(vocab, p) for p in multi])
        self.hedges = PhraseMatcher(vocab, attr="LOWER")
        self.hedges.add("hedge", [_tokenize(vocab, p) for p in HEDGE_PHRASES])
        self.hedge_patterns = Matcher(vocab)
        self.hedge_patterns.add(
            "hedge",
            [[
                {"LOWER": {"IN": _HEDGE_BE}},
                {"LOWER": {"IN": _HEDGE_PARTICIPLES}},
                {"LOWER": "to"},
            ]],
        )

    def hits(
        self, doc: Doc, lower: list[str] | None = None, lemma: list[str] | None = None
    ) -> list[Hit]:
        """Every word-list hit (categories of :data:`LEXICON`), possibly overlapping.
        ``lower``/``lemma``: every token's ``lower_`` and ``lemma_.lower()``, when the caller
        has read them already."""
        if lower is None or lemma is None:
            lower, lemma = _lower_lemma(doc)
        out: list[Hit] = []
        words = self.words
        for i, low in enumerate(lower):
            cats = words.get(low)
            if cats is None:
                cats = words.get(lemma[i])
            if cats:
                out.extend(Hit(i, i + 1, c) for c in cats)
        vocab_strings = doc.vocab.strings
        for match_id, start, end in self.phrases(doc):
            out.append(Hit(start, end, vocab_strings[match_id]))
        return out

    def token_categories(
        self, doc: Doc, lower: list[str] | None = None, lemma: list[str] | None = None
    ) -> list[set[str]]:
        """Token index -> lexicon categories of the hits covering it."""
        cats: list[set[str]] = [set() for _ in range(len(doc))]
        for hit in self.hits(doc, lower, lemma):
            for i in range(hit.start, hit.end):
                cats[i].add(hit.category)
        return cats

    def hedge_hits(self, doc: Doc, lower: list[str] | None = None) -> list[Hit]:
        """Hedges: single adverbs, fixed phrases and "<be> said/believed/... to".

        ``lower``: every token's ``lower_`` when the caller has it. The single words and the
        "<be> <participle> to" pattern are read from that list (what ``hedge_patterns``, a
        spaCy Matcher, finds: ``hedge_pattern_hits``), the phrases by the PhraseMatcher."""
        if lower is None:
            (lower,) = token_columns(doc, ("LOWER",))
        found = [Hit(i, i + 1, "hedge") for i, w in enumerate(lower) if w in _HEDGE_WORD_SET]
        found += [Hit(s, e, "hedge") for _, s, e in self.hedges(doc)]
        found += [Hit(s, s + 3, "hedge") for s in hedge_pattern_hits(lower)]
        return _drop_nested(found)


_HEDGE_WORD_SET = frozenset(HEDGE_WORDS)
_HEDGE_BE_SET = frozenset(_HEDGE_BE)
_HEDGE_PARTICIPLE_SET = frozenset(_HEDGE_PARTICIPLES)


def hedge_pattern_hits(lower: list[str]) -> list[int]:
    """Starts of "<be> <participle> to" (three tokens, by their lower-case forms): the
    matches of :attr:`Lexicon.hedge_patterns`, read from a list."""
    return [
        i for i in range(len(lower) - 2)
        if lower[i + 2] == "to" and lower[i + 1] in _HEDGE_PARTICIPLE_SET
        and lower[i] in _HEDGE_BE_SET
    ]


def _lower_lemma(doc: Doc) -> tuple[list[str], list[str]]:
    lower, lemma = token_columns(doc, ("LOWER", "LEMMA"))
    lowered = {s: s.lower() for s in set(lemma)}
    return lower, [lowered[s] for s in lemma]


def _tokenize(vocab: Vocab, text: str) -> Doc:
    return _blank(vocab)(text)


@lru_cache(maxsize=8)
def _blank(vocab: Vocab) -> Any:
    from spacy.lang.en import English

    return English(vocab=vocab).tokenizer


def _drop_nested(hits: list[Hit]) -> list[Hit]:
    """Keep the longest of overlapping hits (leftmost first on ties)."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def scare_quote_spans(doc: Doc, lower: list[str] | None = None) -> list[tuple[int, int]]:
    """Character spans of scare quotes: "so-called X" and short quoted phrases used as labels.

    A quoted phrase counts when it has at most :data:`MAX_SCARE_WORDS` words, no sentence-final
    punctuation inside, and is not introduced as speech (a speech verb or a colon just before
    it): "the “experts” agree" is a scare quote, 'he said: "No comment"' is a quotation.
    """
    text = doc.text
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        close = QUOTE_PAIRS.get(ch)
        if close is None or (ch == "‘" and i > 0 and text[i - 1].isalnum()):
            i += 1
            continue
        j = text.find(close, i + 1)
        # A quotation that runs over a line break is a quoted paragraph, not a scare quote.
        if j == -1 or "\n" in text[i + 1 : j]:
            i += 1
            continue
        inner = text[i + 1 : j].strip()
        words = inner.split()
        if (
            inner
            and len(words) <= MAX_SCARE_WORDS
            and not any(c in inner for c in ".!?:;")
            and not _introduced_as_speech(doc, i)
        ):
            start = _so_called_before(text, i)
            spans.append((start if start is not None else i, j + 1))
        i = j + 1
    # "so-called X" without quotation marks: X is the short phrase right after it. spaCy splits
    # "so-called" into "so", "-", "called".
    if lower is None:
        (lower,) = token_columns(doc, ("LOWER",))
    for at in [i for i, w in enumerate(lower) if w == "called" and i > 0]:
        tok = doc[at]
        k = tok.i - 1
        if doc[k].text == "-" and k > 0:
            k -= 1
        if doc[k].lower_ != "so":
            continue
        start = doc[k].idx
        end_tok = _phrase_end(doc, tok.i + 1)
        if end_tok > tok.i + 1:
            end = doc[end_tok - 1].idx + len(doc[end_tok - 1])
            if not any(s <= start < e or s < end <= e for s, e in spans):
                spans.append((start, end))
    return sorted(spans)


def _so_called_before(text: str, quote_at: int) -> int | None:
    lo = max(0, quote_at - 12)
    before = text[lo:quote_at].rstrip().lower()
    if before.endswith("so-called") or before.endswith("so called"):
        return lo + before.rfind("so")
    return None


def _introduced_as_speech(doc: Doc, char: int) -> bool:
    tok = doc.char_span(char, char + 1, alignment_mode="expand")
    if tok is None or tok.start == 0:
        return False
    k = tok.start - 1
    while k >= 0 and (doc[k].is_space or doc[k].text == ","):
        k -= 1
    if k < 0:
        return False
    prev = doc[k]
    return prev.text == ":" or prev.lemma_.lower() in SPEECH_VERBS


def _phrase_end(doc: Doc, i: int) -> int:
    """End (exclusive) of the short phrase starting at token i: up to 4 words, stopping at
    punctuation, verbs and function words that start a new constituent."""
    k = i
    while (
        k < len(doc)
        and k - i < MAX_SCARE_WORDS
        and not doc[k].is_punct
        and not doc[k].is_space
        and doc[k].pos_ not in ("VERB", "AUX", "ADP", "CCONJ", "SCONJ", "PRON")
    ):
        k += 1
    return k


@lru_cache(maxsize=4)
def lexicon_for(vocab: Vocab) -> Lexicon:
    """One :class:`Lexicon` per vocab (the pipeline's vocab lives for the whole process)."""
    return Lexicon(vocab)
