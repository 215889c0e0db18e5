"""The spaCy component ``sourcetrace_names``: one typed reading of every name in a document.

spaCy's small model types a name from the words around it alone, and often wrongly for the
names conflict news is full of ("Dayr al-Zawr" a person, "Homs" an organisation, "SANA" a
person, "Islamic" a group cut out of "Islamic State", "Deploy" a place in a headline). This
component runs right after NER and rewrites ``doc.ents`` with all the evidence together, in
this order (the first that speaks decides):

1. **the knowledge base**: a known actor's name or alias found in the text is that actor's
   span and type (an actor is never a place: SANA is no town in Yemen), also where NER cut
   it ("Islamic" + "State") or took generic words into it ("Al-Qaeda Fighters");
2. **junk**: a headline or sentence-opening word that the story also uses as an ordinary
   lower-case word ("Deploy", "Allege") is no name; a lower-case "name" is none either;
3. **shape**: the name's head ("Khan al-Jabal Camp", "Rapides Parish", "Mayfield Road" are
   places; "Defense Ministry", "Syrian Arab News Agency" organisations);
4. **people**: a title before it ("President X"), or it is the surname of a person the
   document spells out ("Saakashvili" after "Mikheil Saakashvili");
5. **apposition**: "the Arabic newspaper, X" is an organisation;
6. **place context**, for a name the gazetteer knows: a locative word before it ("in",
   "near", "the province of"), a dateline, "Town, State", "X-based", a list with other
   places, or the document's other uses of the same name (one sense per discourse).

Around these: what NER takes into a name is trimmed, not a reason to drop it ("the National
Immigrant Justice Center", "anti-Israel"); a name NER glued from known names is those names
("Trump-Russia"); a lone word that is the surname of a person the story spells out is that
person even where the knowledge base has an organisation of the name ("Bloomberg" after
"Michael Bloomberg"); a company is one in every mention ("Aurora Cannabis, Inc." ... "Aurora
said"). Names that are no actor and no place keep a label of their own (``OTHER_LABELS``:
events, laws, works, products, languages, diseases, a campaign's hashtag the story repeats),
by NER or by shape ("the Arab Spring", "the Affordable Care Act", "GBU-43B"), and nothing
inside them is a place ("Iraq" of "the Iraq War"). A party's letter after a politician
("Haley (R)") is a group word; social-media handles ("@HarrisPoll") are mentions too
(``doc._.handles``).

What decided is kept per name (``doc._.names``) so the places component and the row exporter
can say why a name is what it is.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from sourcetrace.extract.entities.kb import Entry, KnowledgeBase
from sourcetrace.extract.names.data import (
    EVENT_HEADS,
    GENERIC_AROUND,
    LAW_HEADS,
    LOCATIVE_PREPS,
    NAME_PREFIXES,
    NOT_NAMES,
    NOT_PLACE_AFTER,
    ORG_HANDLE_WORDS,
    ORG_HEADS,
    ORG_NOUNS,
    PERSON_TITLES,
    PLACE_HEADS,
    PLACE_OF,
    SPEECH_VERBS,
    STREET_HEADS,
    TITLE_SMALL_WORDS,
)
from sourcetrace.extract.places.gazetteer import ADMIN1, CITY, COUNTRY, Gazetteer, load_gazetteer
from sourcetrace.nlp.columns import token_columns
from sourcetrace.nlp.labels import OTHER_LABELS, PARTY_LETTERS

if not Doc.has_extension("names"):
    Doc.set_extension("names", default=None)
if not Doc.has_extension("ner_ents"):
    # what spaCy's NER said before this component rewrote it: (start, end, label) in
    # characters, for comparison (benchmarks/geo.py's baseline) and for tracing a decision
    Doc.set_extension("ner_ents", default=None)
if not Doc.has_extension("handles"):
    # social-media handles quoted in the text ("@giannajessen"): (start, end, label) in
    # characters, without the "@". spaCy keeps a handle in one token with its "@" (and
    # glues "@A/@B" into one), so they cannot be ``doc.ents``; the mentions rows take them.
    Doc.set_extension("handles", default=None)
if not Doc.has_extension("not_places"):
    # token indices that name no place whatever the gazetteer says ("West Nile" of "West
    # Nile virus"): the places component does not scan them
    Doc.set_extension("not_places", default=None)

NAME_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|ash|at|an|az|ed|er|es|ez)-", re.I)
# A knowledge-base type -> the NER label that says the same.
_KB_LABELS = {"person": "PERSON", "state": "GPE", "place": "LOC"}
_BIG_CITY = 100_000


@dataclass(frozen=True)
class Name:
    """What one name of the document was read as, and why."""

    start: int  # token offsets of the span in ``doc.ents``
    end: int
    label: str
    reason: str  # "kb", "ner", "shape", "title", "surname", "apposition", "context", ...
    kb: str | None = None  # the knowledge-base entry the span's text names

    def is_actor(self) -> bool:
        """A known actor that is no place (SANA, the SVR, the White House)."""
        return self.kb is not None and self.label not in PLACE_LABELS


class NamesComponent:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.nlp = nlp
        self._matcher: PhraseMatcher | None = None
        self._kb: KnowledgeBase | None = None
        self._gz: Gazetteer | None = None

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self._kb = KnowledgeBase.load()
        return self._kb

    @property
    def gz(self) -> Gazetteer:
        if self._gz is None:
            self._gz = load_gazetteer()
        return self._gz

    @property
    def matcher(self) -> PhraseMatcher:
        """Every capitalised knowledge-base surface, matched case-sensitively on token text."""
        if self._matcher is None:
            matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
            for entry in self.kb.entries.values():
                surfaces = [s for s in entry.surfaces if s[:1].isupper()]
                if surfaces:
                    matcher.add(entry.id, list(self.nlp.tokenizer.pipe(surfaces)))
            self._matcher = matcher
        return self._matcher

    # -- 1. the knowledge base ----------------------------------------------------------------
    def kb_spans(self, doc: Doc) -> list[tuple[int, int, Entry]]:
        """Non-overlapping knowledge-base matches, longest first."""
        found = []
        for match_id, start, end in self.matcher(doc):
            entry = self.kb.get(self.nlp.vocab.strings[match_id])
            if entry is None or not self._plausible_match(doc, start, end):
                continue
            found.append((start, end, entry))
        found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
        taken = [False] * len(doc)
        out = []
        for start, end, entry in found:
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            out.append((start, end, entry))
        return sorted(out, key=lambda m: m[0])

    @staticmethod
    def _plausible_match(doc: Doc, start: int, end: int) -> bool:
        span = doc[start:end]
        text = span.text
        if end - start > 1:
            return True
        tok = doc[start]
        if tok.is_upper and len(text) > 1:
            # "IS" and "US" inside an all-capitals headline are words, not acronyms
            if len(text) <= 3:
                near = [t for t in doc[max(0, start - 2) : start + 3]
                        if t.is_alpha and t.i != start]
                return not near or not all(t.is_upper for t in near)
            return True
        # one capitalised word ("Daesh", "Moscow"): a proper noun, or a name NER found
        return tok.pos_ == "PROPN" or bool(tok.ent_type_)

    # -- the reading of one doc -----------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        doc._.ner_ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        kb_spans = self.kb_spans(doc)
        spans = self._merge(doc, kb_spans)
        view = _View(doc)
        lower = {w for w, low in zip(view.lower, view.is_lower, strict=True) if low} | {
            w for w, low in zip(view.lemma, view.is_lower, strict=True) if low}
        lines = _Lines(doc)
        surnames = _surnames(doc)
        names = [
            self._read(doc, start, end, label, entry, lower, lines, surnames)
            for start, end, label, entry in spans
        ]
        # "U.S." of "U.S. coronavirus cases" is no disease's name
        diseases = {d for d in _diseases(doc, view) if self.kb.lookup(d, fuzzy=False) is None}
        not_places = _in_disease_names(doc, diseases, view)
        # A disease's name is a name of its own kind ("the COVID-19 virus"), no place.
        names = [n if n is None or doc[n.start : n.end].text not in diseases
                 else Name(n.start, n.end, "DISEASE", "shape") for n in names]
        names = [n for n in names if n is not None]
        names = self._discourse(doc, names)
        names = self._repeated(doc, names, lower, view)
        names = _short_org_names(doc, names)
        names = _non_overlapping_names(names, _events(doc, names, view) + _hashtags(doc, view)
                                       + _party_letters(doc, view))
        for n in names:
            if n.reason == "company":
                # "Aurora" of "Aurora Cannabis, Inc." (a place inside an event's or a law's
                # name stays one: geoparsing corpora annotate "Iraq" of "the Iraq War")
                not_places.update(range(n.start, n.end))
        doc._.not_places = not_places
        doc._.handles = _handles(doc.text)
        keep = [e for e in doc.ents if e.label_ not in NAME_LABELS | OTHER_LABELS]
        new = [Span(doc, n.start, n.end, label=n.label) for n in names]
        doc.ents = _non_overlapping(new, keep)
        doc._.names = names
        return doc

    def _merge(
        self, doc: Doc, kb_spans: list[tuple[int, int, Entry]]
    ) -> list[tuple[int, int, str, Entry | None]]:
        """NER names and knowledge-base matches as one list of spans. A match replaces the
        NER names it overlaps, unless one of them is a longer name holding it with words of
        its own ("Foreign Intelligence Service of the Russian Federation")."""
        ners = [part for e in doc.ents if e.label_ in NAME_LABELS | OTHER_LABELS
                for part in _split_glued(e) for part in _split_listed(part)]
        # NER names are sorted and do not overlap, so their ends are sorted too: the names a
        # match overlaps are found by bisection, not by a scan of every name per match.
        ends = [e.end for e in ners]
        # tokens some knowledge-base match covers: an NER name made only of known names and
        # generic words ("Trump-Russia", "Trump Cuba policy") holds none of them
        known = [False] * len(doc)
        for start, end, _entry in kb_spans:
            known[start:end] = [True] * (end - start)
        dropped: set[int] = set()
        added: list[tuple[int, int, str, Entry | None]] = []
        for start, end, entry in kb_spans:
            over = []
            for k in range(bisect_right(ends, start), len(ners)):
                if ners[k].start >= end:
                    break
                over.append(k)
            holder = next(
                (k for k in over if ners[k].start <= start and end <= ners[k].end
                 and not _only_generic(doc, ners[k], start, end, known)
                 and (ners[k].start, ners[k].end) != (start, end)),
                None,
            )
            if holder is not None:
                continue
            dropped.update(over)
            label = ners[over[0]].label_ if over else ""
            if label == "NORP" and not (len(over) == 1 and (ners[over[0]].start,
                                                             ners[over[0]].end) == (start, end)):
                label = ""  # "Russian" of "Russian government" is no group word
            added.append((start, end, label, entry))
        kept = [(e.start, e.end, e.label_, None) for k, e in enumerate(ners) if k not in dropped]
        return sorted(kept + added, key=lambda s: s[0])

    def _read(
        self, doc: Doc, start: int, end: int, ner: str, entry: Entry | None, lower: set[str],
        lines: _Lines, surnames: dict[str, set[int]],
    ) -> Name | None:
        if entry is not None:
            text = doc[start:end].text
            if (entry.type not in ("person", "state", "government", "place")
                    and end - start == 1 and any(s != start for s in surnames.get(text, ()))):
                # "Bloomberg" after "Michael Bloomberg" is the man, not the news agency
                return Name(start, end, "PERSON", "surname")
            return Name(start, end, self._kb_label(doc[start:end], entry, ner), "kb", entry.id)
        # 2. junk
        while end > start and doc[end - 1].is_space:
            end -= 1  # NER takes a paragraph break into a heading's name
        start = self._trim_junk(doc, start, end, lower, lines)
        start = _trim_prefix(doc, start, end)
        if start >= end:
            return None
        span = doc[start:end]
        if ner in OTHER_LABELS:
            return self._read_other(doc, start, end, ner, lines)
        if any(t.lower_ in _COMPANY for t in span) and all(
            t.lower_ in _COMPANY or not t.is_alpha for t in span
        ):
            return None  # "LLC" alone: a company's legal form, no name
        other = _other_shape(doc, start, end)
        if other is not None and (other == "PRODUCT" or not self.gz.lookup(span.text)):
            return Name(start, end, other, "shape")  # not "Silver Spring", a town
        if span.text[:1].islower() and not _ARTICLE.match(span.text):
            return None
        if len(span) == 1 and span[0].pos_ in ("VERB", "AUX", "ADV", "ADP", "PRON", "DET"):
            return None
        if start > 0 and doc[start - 1].text in ("Al", "al", "El", "el") and doc[
            start - 1
        ].whitespace_:
            start -= 1  # NER left the article out: "Al | Tanf Garrison"
            span = doc[start:end]
        start, end = _trim_shouted(doc, start, end, lower)
        if start >= end:
            return None
        span = doc[start:end]
        words = [t for t in span if t.is_alpha]
        head = words[-1].lower_.strip(".") if words else ""
        # 3. shape
        if len(words) > 1 and head in ORG_HEADS:
            return Name(start, end, "ORG", "shape")
        if len(words) > 1 and head in PLACE_HEADS:
            label = "FAC" if head in STREET_HEADS else "LOC" if ner != "GPE" else "GPE"
            return Name(start, end, label, "shape")
        if (len(words) == 1 and head in ORG_HEADS and words[0].is_title and start > 0
                and (doc[start - 1].is_lower or doc[start - 1].lower_ == "the")
                and doc[start - 1].lower_ not in LOCATIVE_PREPS | {"of"}):
            # "the Senate", "the party's Senate nomination", "the Army" (but "in Institute",
            # a town, is no institute)
            return Name(start, end, "ORG", "shape")
        if (len(words) == 1 and any(s != span.start for s in surnames.get(span.text, ()))
                and self.gz.demonym(span.text) is None):
            return Name(start, end, "PERSON", "surname")  # "Mattis", whatever NER said
        if ner == "NORP":
            return Name(start, end, ner, "ner")  # demonyms are the places component's
        if _company_suffix(doc, end):
            return Name(start, end, "ORG", "company")  # "Aurora Cannabis, Inc."
        if (ner != "PERSON" and len(words) == 1 and _ordinary(words[0], lower)
                and not self.gz.lookup(span.text)):
            return None  # "Ports", "Tweets": a word the story also writes in lower case
        if len(words) == 1 and (words[0].lower_ in NOT_NAMES or (
            start >= 2 and doc[start - 1].lower_ == "of"
            and doc[start - 2].lower_ in ("secretary", "minister")
        )):
            return None  # "every Fall", "degrees Fahrenheit", "Secretary of Defense"
        if (lines.whole_line(start, end) or lines.headline(doc[start])) and not (
            ner == "PERSON" or (words and _first_name(words[0].text))
            or (self.gz.lookup(span.text) and not span.text.isupper())
        ):
            # In a heading, a menu or a line set in capitals every word is capitalised:
            # "Sign up for Daily Newsletters Manage Newsletters", "CLICK HERE FOR COMPLETE
            # CORONAVIRUS COVERAGE". Only names known elsewhere (the knowledge base, the
            # gazetteer, a given name) are trusted there.
            return None
        if len(words) == 1 and self.gz.demonym(span.text) is not None:
            return Name(start, end, "NORP", "demonym")  # "Tajik", "Uzbek"
        prev = _previous_word(doc, start)
        nxt = doc[end] if end < len(doc) else None
        # 4. people
        if prev in PERSON_TITLES and doc[start - 1].is_title and ner != "GPE":
            return Name(start, end, "PERSON", "title")
        if len(words) == 1 and any(s != span.start for s in surnames.get(span.text, ())):
            return Name(start, end, "PERSON", "surname")
        if (2 <= len(words) <= 3 and ner != "PERSON" and all(t.is_title for t in words)
                and _first_name(words[0].text) and not self.gz.lookup(span.text)
                and not self._big_city(words[0].text)):
            # (not "Columbus Police": a large city's name is no given name there)
            return Name(start, end, "PERSON", "first name")  # "Heather MacGregor"
        # 5. apposition and what follows
        if _apposed_org_noun(doc, start, end):
            return Name(start, end, "ORG", "apposition")
        if nxt is not None and nxt.lower_ in ("pipeline", "pipelines", "project", "deal"):
            return Name(start, end, "ORG", "shape")
        if nxt is not None and nxt.lower_ in NOT_PLACE_AFTER:
            return None  # "Ebola virus", "Marburg fever", "West Nile outbreak": no place
        if _place_head_after(doc, end):
            return Name(start, end, "LOC", "shape")  # "the al-Waleed crossing"
        # 6. place context, for names the gazetteer knows
        cands = self.gz.lookup(span.text)
        if len(words) == 1 and words[0].is_upper and not self._well_known(cands):
            # an acronym ("SOS") is an organisation's, not a village's in France
            return Name(start, end, ner if ner in ("ORG", "PERSON") else "ORG", "acronym")
        if cands and self._place_context(doc, start, end):
            return Name(start, end, "GPE" if ner not in ("LOC", "FAC") else ner, "context")
        if nxt is not None and nxt.lower_ in SPEECH_VERBS:
            if ner == "GPE" and not self._well_known(cands):
                return Name(start, end, "PERSON", "speech")  # "Ripley said": no town speaks
            return Name(start, end, ner or "ORG", "speech")
        if ner in ("PERSON", "ORG") and self._curated(cands, len(words) + (ner == "ORG")):
            return Name(start, end, "GPE", "gazetteer")  # "al-Tanf", "Dayr al-Zawr"
        if ner:
            return Name(start, end, ner, "ner")
        return None

    @staticmethod
    def _read_other(doc: Doc, start: int, end: int, ner: str, lines: _Lines) -> Name | None:
        """An event, law, work, product or language NER found: kept when it is written as a
        name (every word capitalised but small ones, at most eight words), not a heading."""
        span = doc[start:end]
        words = [t for t in span if t.is_alpha or t.like_num]
        if not words or len(words) > 8 or lines.whole_line(start, end):
            return None
        if not all(t.is_title or t.is_upper or t.like_num or t.lower_ in TITLE_SMALL_WORDS
                   or not t.is_alpha for t in span):
            return None
        if not (span[0].is_title or span[0].is_upper or span[0].like_num) or span[0].is_stop:
            return None  # "As a Field Organizer you'll ...": a sentence, not a title
        return Name(start, end, ner, "ner")

    def _curated(self, cands: list[int], words: int) -> bool:
        """A name the gazetteer knows well enough to overrule NER's person or organisation:
        one of our curated places, or a country; several words naming a province or a large
        city (the small model reads transliterated Arabic names as people). An organisation's
        whole name counts as two words: "reached Idlib" is Idlib's province or city, where
        "Jordan said" may still be a man."""
        gz = self.gz
        return any(
            gz.ids[j].startswith("kb:") or gz.kinds[j] == COUNTRY
            or (words > 1 and (gz.kinds[j] == ADMIN1
                               or (gz.kinds[j] == CITY and gz.pops[j] >= _BIG_CITY)))
            for j in cands
        )

    def _kb_label(self, span: Span, entry: Entry, ner: str) -> str:
        if ner == "NORP" and entry.type not in _KB_LABELS:
            return "NORP"  # a group word ("Republican lawmakers", "Democrats")
        if entry.type in _KB_LABELS:
            return _KB_LABELS[entry.type]
        own = [j for j in self.gz.lookup(span.text) if self.gz.countries[j] == entry.country]
        if self.kb.is_metonym(span.text) and self._well_known(own):
            return "GPE"  # Moscow, Washington: towns that stand for a government
        return "ORG"

    @staticmethod
    def _trim_junk(doc: Doc, start: int, end: int, lower: set[str], lines: _Lines) -> int:
        """Drop leading words that only a headline or a sentence start capitalises."""
        if end - start > 1 and after_lower_word(lines.text, doc[start:end].text):
            return start  # "Planned Parenthood" opening a sentence, and within one elsewhere
        while start < end:
            tok = doc[start]
            if not (tok.is_sent_start or lines.headline(tok)) or not tok.is_title:
                break
            if tok.lower_ not in lower and tok.lemma_.lower() not in lower:
                break  # the story never writes it as an ordinary word
            start += 1
        return start

    def _place_context(self, doc: Doc, start: int, end: int) -> bool:
        i = start - 1
        if i >= 0 and doc[i].lower_ == "the":
            i -= 1
        if i >= 0 and doc[i].lower_ in LOCATIVE_PREPS:
            return True
        if i >= 1 and doc[i].lower_ == "of" and doc[i - 1].lower_ in PLACE_OF:
            return True
        if end < len(doc) and doc[end].text == "-" and end + 1 < len(doc) and doc[
            end + 1
        ].lower_ in ("based", "born", "area"):
            return True  # "London-based"
        if _dateline(doc, start):
            return True
        if end + 1 < len(doc) and doc[end].text == ",":
            after = doc[end + 1 : end + 4]
            for k in range(len(after), 0, -1):
                cands = self.gz.lookup(after[:k].text)
                if after[:k].text[:1].isupper() and any(
                    self.gz.kinds[j] in (COUNTRY, ADMIN1) for j in cands
                ):
                    return True  # "Alexandria, La.", "Kasese, Uganda"
        return False

    def _big_city(self, word: str) -> bool:
        """Whether a word is the own name of a city of 100,000 people or more ("Columbus",
        not "Aly", which the gazetteer knows as a spelling of Alexandria)."""
        gz = self.gz
        key = word.lower()
        return any(gz.kinds[j] == CITY and gz.pops[j] >= _BIG_CITY and gz.names[j].lower() == key
                   for j in gz.lookup(word))

    def _well_known(self, cands: Iterable[int]) -> bool:
        gz = self.gz
        return any(
            gz.kinds[j] in (COUNTRY, ADMIN1) or (gz.kinds[j] == CITY and gz.pops[j] >= _BIG_CITY)
            for j in cands
        )

    def _discourse(self, doc: Doc, names: list[Name]) -> list[Name]:
        """One sense per discourse, and lists: a name NER typed otherwise is a place when the
        document places it elsewhere with evidence of its own, or when it stands in a list
        ("Raqqah, Hasakah and Dayr al-Zawr") beside such a place."""
        placed = {
            _key(doc[n.start : n.end]) for n in names
            if n.label in PLACE_LABELS and n.reason in ("context", "shape", "kb")
        }
        people = {
            t.lower_ for n in names if n.label == "PERSON"
            and (n.end - n.start > 1 or n.reason != "ner") for t in doc[n.start : n.end]
        }
        out = list(names)
        for _ in range(2):  # a list learns from its placed neighbours, both ways
            for k, n in enumerate(out):
                if n.reason != "ner" or n.label in PLACE_LABELS or n.label == "NORP":
                    continue
                key = _key(doc[n.start : n.end])
                if key in people:
                    continue
                if key in placed or self._listed_with_place(doc, out, k):
                    if self.gz.lookup(doc[n.start : n.end].text):
                        out[k] = Name(n.start, n.end, "GPE", "discourse")
                        placed.add(key)
        return out

    @staticmethod
    def _repeated(
        doc: Doc, names: list[Name], lower: set[str], view: _View | None = None
    ) -> list[Name]:
        """A name the document has typed is the same name where NER missed it again
        ("Blankenhorn" after "David Blankenhorn", a second "Facebook"): one sense per
        discourse, for names as for places."""
        known: dict[str, Name] = {}
        for n in names:
            span = doc[n.start : n.end]
            known.setdefault(span.text, n)
            if n.label == "PERSON" and len(span) > 1:
                for t in span[1:]:
                    if t.is_title and len(t) > 2:
                        known.setdefault(t.text, n)
        if not known:
            return names
        covered = [False] * len(doc)
        for n in names:
            covered[n.start : n.end] = [True] * (n.end - n.start)
        for e in doc.ents:  # dates, numbers: not names
            covered[e.start : e.end] = [True] * (e.end - e.start)
        added: list[Name] = []
        v = view or _View(doc)
        alpha, title, upper, text_of = v.alpha, v.title, v.upper, v.text
        i = 0
        while i < len(doc):
            if covered[i] or not (title[i] or upper[i]) or not alpha[i]:
                i += 1
                continue
            hit = None
            for n in range(min(4, len(doc) - i), 0, -1):
                if any(covered[i : i + n]):
                    continue
                text = text_of[v.starts[i] : v.ends[i + n - 1]]  # doc[i : i + n].text
                if text in known and alpha[i + n - 1]:
                    hit = (n, known[text])
                    break
            if hit is None or (hit[0] == 1 and v.lower[i] in lower and doc[i].is_sent_start):
                i += 1
                continue
            n, like = hit
            added.append(Name(i, i + n, like.label, "discourse", like.kb if n == like.end
                              - like.start else None))
            covered[i : i + n] = [True] * n
            i += n
        return sorted(names + added, key=lambda x: x.start)

    @staticmethod
    def _listed_with_place(doc: Doc, names: list[Name], k: int) -> bool:
        for j in (k - 1, k + 1):
            if not 0 <= j < len(names) or names[j].label not in PLACE_LABELS:
                continue
            a, b = (names[j], names[k]) if j < k else (names[k], names[j])
            gap = doc[a.end : b.start].text.strip().lower()
            if gap in (",", "and", ", and", "or", ", or"):
                return True
        return False


_COMPANY = frozenset("inc inc. corp corp. co co. llc ltd ltd. plc ag sa gmbh".split())


def _short_org_names(doc: Doc, names: list[Name]) -> list[Name]:
    """One sense per discourse for companies: "Aurora Cannabis" once read as a company
    ("Aurora Cannabis, Inc.") is one wherever NER took it for a person, and so is its first
    word alone ("Aurora said"), unless the story also spells out a person of that name."""
    shaped = {doc[n.start : n.end].text for n in names
              if n.reason == "company" and n.end - n.start > 1}
    if not shaped:
        return names
    firsts = {text.split()[0] for text in shaped}
    firsts -= {doc[n.start].text for n in names if n.label == "PERSON"
               and n.end - n.start > 1 and doc[n.start : n.end].text not in shaped}
    loose = ("ner", "speech", "discourse", "gazetteer")
    return [Name(n.start, n.end, "ORG", "company") if n.kb is None and n.reason in loose and (
        doc[n.start : n.end].text in shaped
        or (n.end - n.start == 1 and n.label in ("PERSON", "GPE") and doc[n.start].text in firsts)
    ) else n for n in names]


def _company_suffix(doc: Doc, end: int) -> bool:
    """"Aurora Cannabis, Inc.", "Acme Corp": a company's legal form after the name."""
    k = end + 1 if end < len(doc) and doc[end].text == "," else end
    return k < len(doc) and doc[k].lower_ in _COMPANY and doc[k].text[:1].isupper()


def _place_head_after(doc: Doc, end: int) -> bool:
    """"the al-Waleed crossing", "the Al-Mahmudiya and Al-Walid crossings": the first
    lower-case word after the name (and the names listed with it) is a place's head."""
    for t in doc[end : end + 8]:
        if t.is_title or t.text in (",", "-", "and") or _ARTICLE.match(t.text):
            continue
        word = t.lower_
        return word in PLACE_HEADS or (word.endswith("s") and word[:-1] in PLACE_HEADS) or (
            word.endswith("ies") and word[:-3] + "y" in PLACE_HEADS  # "counties"
        )
    return False


def _diseases(doc: Doc, view: _View | None = None) -> set[str]:
    """Names the story gives a disease ("the Marburg virus", "West Nile fever"): one sense
    per discourse, so a bare "Marburg" later is the virus too, not the German town."""
    out = set()
    lower = (view or _View(doc)).lower
    for at in [i for i, w in enumerate(lower)
               if i and (w in NOT_PLACE_AFTER or w.endswith("virus"))]:
        t = doc[at]  # "Marburg virus", "Reston ebolavirus"
        start = t.i
        while start > max(0, t.i - 3) and (doc[start - 1].is_title or doc[start - 1].is_upper):
            start -= 1
        for k in range(start, t.i):  # "West Nile" and "Nile" of "West Nile virus"
            out.add(doc[k : t.i].text)
    return out


def _in_disease_names(doc: Doc, diseases: set[str], view: _View | None = None) -> set[int]:
    """The words (alphabetic tokens) that are, begin or end a disease's name of one to three
    tokens. Span texts are cut from the doc's text by token offsets: a ``doc[a:b]`` per token
    and length made this a quarter of the component's time, on docs that name no disease."""
    if not diseases:
        return set()
    v = view or _View(doc)
    text, starts, ends, words = v.text, v.starts, v.ends, v.words
    n = len(starts)

    def named(a: int, b: int) -> bool:  # doc[a:b].text, clipped to the doc as spaCy does
        b = min(b, n)
        return a < b and text[starts[a] : ends[b - 1]] in diseases

    return {
        i for i in range(n) if v.alpha[i] and (words[i] in diseases or any(
            named(i, i + k) for k in (2, 3)
        ) or any(named(i - k + 1, i + 1) for k in (2, 3) if i >= k - 1))
    }


def _trim_prefix(doc: Doc, start: int, end: int) -> int:
    """Drop what NER takes in front of a name: an article ("the National Immigrant Justice
    Center"; "The" only at a sentence start, as "The Hill" is a name) and a prefix with its
    hyphen ("anti-Israel", "ex-Soviet")."""
    while end - start > 1:
        tok = doc[start]
        if tok.lower_ in ("the", "a", "an") and (tok.is_lower or tok.is_sent_start):
            start += 1
        elif (tok.lower_ in NAME_PREFIXES and end - start > 2 and doc[start + 1].text == "-"
              and not tok.whitespace_):
            start += 2
        else:
            break
    return start


_CODE = re.compile(r"^[A-Z]{2,}[A-Za-z]*-\d+[A-Z]?$")


def _other_shape(doc: Doc, start: int, end: int) -> str | None:
    """An event, a law or a code by its shape, whatever NER said: "the Iraq War", "the
    Affordable Care Act", "COVID-19" or "GBU-43B" (letters, a hyphen and a number: a model,
    a disease, a weapon, never an actor)."""
    span = doc[start:end]
    if len(span) == 1 and _CODE.match(span.text):
        return "PRODUCT"
    words = [t for t in span if t.is_alpha]
    if len(words) < 2 or not all(t.is_title or t.is_upper for t in words):
        return None
    head = words[-1].lower_
    if head in EVENT_HEADS:
        return "EVENT"
    if head in LAW_HEADS:
        return "LAW"
    return None


def _events(doc: Doc, names: list[Name], view: _View | None = None) -> list[Name]:
    """Events NER missed: "the Arab Spring", "the 2020 Summer Olympics" — after "the", up to
    four capitalised words (or a year) ending in an event's head word."""
    out = []
    v = view or _View(doc)
    for at in [i for i, w in enumerate(v.lower) if i and w in EVENT_HEADS and v.title[i]]:
        t = doc[at]
        start = t.i
        while (start > max(0, t.i - 4) and doc[start - 1].lower_ != "the" and (
                doc[start - 1].is_title or (doc[start - 1].like_num and len(doc[start - 1]) == 4))):
            start -= 1
        if start == t.i or start == 0 or doc[start - 1].lower_ != "the":
            continue
        out.append(Name(start, t.i + 1, "EVENT", "shape"))
    return out


def _hashtags(doc: Doc, view: _View | None = None) -> list[Name]:
    """A hashtag the story repeats is a campaign it reports on ("#PPShoutYourStory" seven
    times); a hashtag used once is most often a slogan in a quoted post, no name."""
    tags: dict[str, list[int]] = {}
    words = (view or _View(doc)).words
    for at in [i + 1 for i, w in enumerate(words[:-1]) if w == "#"]:
        t = doc[at]
        if doc[t.i - 1].text == "#" and not doc[t.i - 1].whitespace_ and t.is_alpha and (
            t.text[:1].isupper()
        ):
            tags.setdefault(t.text, []).append(t.i)
    return [Name(i, i + 1, "HASHTAG", "hashtag")
            for tag, found in tags.items() if len(found) >= 2 for i in found]


def _party_letters(doc: Doc, view: _View | None = None) -> list[Name]:
    """A party's letter after a politician's name: "Bloomberg (D)", "Haley (R)", "Rubio,
    R-Fla." — a group word for the party."""
    out = []
    words = (view or _View(doc)).words
    for at in [i for i in range(1, len(words) - 1) if words[i] in PARTY_LETTERS]:
        t = doc[at]
        before, after = doc[t.i - 1].text, doc[t.i + 1].text
        name_before = t.i >= 2 and doc[t.i - 2].ent_type_ == "PERSON"
        if name_before and ((before == "(" and after == ")") or (
            before in ("(", ",") and after in ("-", "–") and t.i + 2 < len(doc)
            and doc[t.i + 2].text[:1].isupper()
        )):
            out.append(Name(t.i, t.i + 1, "NORP", "party letter"))
    return out


_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z_][A-Za-z0-9_]{1,29})\b")


def _handles(text: str) -> list[tuple[int, int, str]]:
    """Social-media handles ("@giannajessen", "@HarrisPoll"): (start, end, label) without
    the "@"; an organisation's when the handle holds an organisation's word."""
    out = []
    for m in _HANDLE.finditer(text):
        handle = m.group(1)
        # camel-case words ("HarrisPoll" -> harris, poll); in a lower-case handle, the
        # longer organisation words anywhere ("ppollingnumbers")
        words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", handle)}
        low = handle.lower()
        label = "ORG" if any(w in words or (len(w) > 4 and w in low)
                             for w in ORG_HANDLE_WORDS) else "PERSON"
        out.append((m.start(1), m.end(1), label))
    return out


def _non_overlapping_names(names: list[Name], extra: list[Name]) -> list[Name]:
    """``names`` plus the ``extra`` ones that overlap none of them but names they hold
    ("American" of "the Pan American Games", an event's name)."""
    inside = {k for k, n in enumerate(names) for e in extra
              if e.start <= n.start and n.end <= e.end and (e.start, e.end) != (n.start, n.end)
              and n.kb is None}
    names = [n for k, n in enumerate(names) if k not in inside]
    taken = {i for n in names for i in range(n.start, n.end)}
    out = list(names)
    for n in extra:
        if not any(i in taken for i in range(n.start, n.end)):
            out.append(n)
            taken.update(range(n.start, n.end))
    return sorted(out, key=lambda n: n.start)


def _split_listed(ent: Span) -> list[Span]:
    """NER joins two events in one name ("the Great Depression and World War II"): the
    halves are the names when both are capitalised names of their own."""
    if ent.label_ not in OTHER_LABELS:
        return [ent]
    for t in ent:
        if t.lower_ == "and" and ent.start < t.i < ent.end - 1:
            left, right = ent.doc[ent.start : t.i], ent.doc[t.i + 1 : ent.end]
            if left[-1].is_title and right[0].is_title and len(left) > 1 and len(right) > 1:
                return [Span(ent.doc, left.start, left.end, label=ent.label_),
                        Span(ent.doc, right.start, right.end, label=ent.label_)]
    return [ent]


def _surnames(doc: Doc) -> dict[str, set[int]]:
    """Each later word of a person's full name in the document ("Bakri" of "Omar Bakri
    Muhammad") -> the first tokens of the names that hold it: a lone word that is one of them
    is that person's surname (unless the name is its own). Built once per doc, so reading a
    name does not scan every entity of the document."""
    out: dict[str, set[int]] = {}
    for e in doc.ents:
        if e.label_ == "PERSON" and len(e) > 1:
            for t in e[1:]:
                out.setdefault(t.text, set()).add(e.start)
    return out


def after_lower_word(text: str, name: str) -> bool:
    r"""Whether ``name`` stands in ``text`` after a lower-case word (and a comma or semicolon)
    and space, and ends there at a word boundary: what
    ``re.search(r"(?:^|[\s(])[a-z]+[,;]?\s+" + re.escape(name) + r"\b", text)`` says,
    read back from each place the name occurs instead of compiling one pattern per name and
    running it over the whole text (a tenth of the names component's time)."""
    if not name:
        return re.search(r"(?:^|[\s(])[a-z]+[,;]?\s+\b", text) is not None
    q = text.find(name)
    while q >= 0:
        if _ends_word(text, q + len(name)) and _lower_word_before(text, q):
            return True
        q = text.find(name, q + 1)
    return False


def _is_word(c: str) -> bool:  # a character \w matches
    return c.isalnum() or c == "_"


def _ends_word(text: str, e: int) -> bool:
    r"""``\b`` at ``e``: a word character on one side of it and none on the other."""
    before = e > 0 and _is_word(text[e - 1])
    after = e < len(text) and _is_word(text[e])
    return before != after


def _lower_word_before(text: str, q: int) -> bool:
    r"""``(?:^|[\s(])[a-z]+[,;]?\s+`` ends at ``q``: the spaces before ``q`` (at least one;
    all of them, since neither [,;] nor [a-z] is a space), an optional comma or semicolon,
    a whole run of ASCII lower-case letters (at least one), and the text's start, a space or
    "(" before the run."""
    i = q
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if i == q:
        return False
    if i > 0 and text[i - 1] in ",;":
        i -= 1
    j = i
    while j > 0 and "a" <= text[j - 1] <= "z":
        j -= 1
    if j == i:
        return False
    return j == 0 or text[j - 1].isspace() or text[j - 1] == "("


class _View:
    """What the whole-doc scans read of every token, read from spaCy once per doc
    (:func:`~sourcetrace.nlp.columns.token_columns`): each scan picks the few tokens worth a
    closer look from these lists and makes a Token only for those."""

    def __init__(self, doc: Doc) -> None:
        (self.words, self.lower, self.lemma, self.is_lower, self.alpha, self.title,
         self.upper, self.starts, length) = token_columns(
            doc, ("ORTH", "LOWER", "LEMMA", "IS_LOWER", "IS_ALPHA", "IS_TITLE", "IS_UPPER",
                  "IDX", "LENGTH"))
        self.text = doc.text
        self.ends = [a + n for a, n in zip(self.starts, length, strict=True)]


class _Lines:
    """The lines of one doc's text, for questions about the line a name sits on. ``doc.text``
    is joined anew from the tokens at every access, and a line found by searching back for
    a line break is as long as the text when there is none: both made reading the names of
    a long document quadratic. The text, its line breaks and each line's headline verdict
    are computed once per doc."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.breaks = [m.start() for m in re.finditer("\n", self.text)]
        self._headline: dict[int, bool] = {}

    def bounds(self, a: int, b: int) -> tuple[int, int]:
        """The start of the line holding character ``a`` and the end of the one holding
        ``b`` (a line break, or the text's end)."""
        k = bisect_left(self.breaks, a)
        line_start = self.breaks[k - 1] + 1 if k else 0
        k = bisect_left(self.breaks, b)
        line_end = self.breaks[k] if k < len(self.breaks) else len(self.text)
        return line_start, line_end

    def whole_line(self, start: int, end: int) -> bool:
        """Whether a span is all its line says (nothing but punctuation around it)."""
        doc, text = self.doc, self.text
        a, b = doc[start].idx, doc[end - 1].idx + len(doc[end - 1])
        line_start, line_end = self.bounds(a, b)
        # from the span outwards: the nearest letter or digit ends the search
        return not any(text[i].isalnum() for i in range(a - 1, line_start - 1, -1)) and not any(
            text[i].isalnum() for i in range(b, line_end)
        )

    def headline(self, tok) -> bool:  # type: ignore[no-untyped-def]
        """Whether a token sits in a line set in title case or capitals (a headline, a menu):
        a short line without a closing stop whose words of four letters or more start with a
        capital seven times in ten."""
        start, end = self.bounds(tok.idx, tok.idx)
        if start not in self._headline:
            self._headline[start] = _headline_line(self.text[start:end])
        return self._headline[start]


def _ordinary(tok, lower: set[str]) -> bool:  # type: ignore[no-untyped-def]
    """A word the document also writes in lower case, in this form or another."""
    return tok.lower_ in lower or tok.lemma_.lower() in lower


def _trim_shouted(doc: Doc, start: int, end: int, lower: set[str]) -> tuple[int, int]:
    """Drop the ordinary words of a name set in capitals ("COMPLETE CORONAVIRUS COVERAGE",
    "SKEWED"): long all-capitals words the parser reads as verbs, adjectives or common
    nouns, or that the story writes in lower case. Acronyms ("NATO", "SANA") stay."""
    def shouted(t) -> bool:  # type: ignore[no-untyped-def]
        return (t.is_upper and t.is_alpha and len(t) >= 5
                and (t.pos_ in ("VERB", "ADJ", "ADV", "NOUN") or _ordinary(t, lower)))

    while start < end and shouted(doc[start]):
        start += 1
    while end > start and shouted(doc[end - 1]):
        end -= 1
    return start, end


def _split_glued(ent: Span) -> list[Span]:
    """NER glues names across a slash or a bracket ("REUTERS/Aly Song", "Shanghai
    Cooperation Organization (SCO"): the pieces are the names."""
    # (A hyphen is left alone: "Coca-Cola", "Ramirez-Rosa", "Guinea-Bissau" are one name.)
    cuts = [t.i for t in ent if t.text in ("/", "(", ")", "[", "]")]
    if not cuts:
        return [ent]
    parts, start = [], ent.start
    for c in [*cuts, ent.end]:
        if c > start and any(t.is_alpha for t in ent.doc[start:c]):
            parts.append(Span(ent.doc, start, c, label=ent.label_))
        start = c + 1
    return parts


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    import gender_guesser.detector as gender

    return gender.Detector(case_sensitive=False)


def _first_name(word: str) -> bool:
    """Whether a word is a known given name (gender-guesser's list of 40,000)."""
    return _detector().get_gender(word) != "unknown"


def _key(span: Span) -> str:
    return span.text.lower().removeprefix("the ").strip()


def _only_generic(
    doc: Doc, ner: Span, start: int, end: int, known: list[bool] | None = None
) -> bool:
    """Whether the words of an NER name outside a match are generic ("Al-Qaeda Fighters"),
    a prefix ("anti-Israel") or other known names ("Trump-Russia")."""
    extra = [t for t in ner if not start <= t.i < end]
    if known is not None and extra and all(known[t.i] or t.is_punct for t in extra) and any(
        known[t.i] for t in extra
    ):
        return True
    return all(t.lower_ in GENERIC_AROUND or t.lower_ in NAME_PREFIXES or t.is_punct
               for t in extra)


def _previous_word(doc: Doc, start: int) -> str:
    return doc[start - 1].lower_.strip(".") if start > 0 else ""


def _apposed_org_noun(doc: Doc, start: int, end: int) -> bool:
    """"the London-based Arabic newspaper, al-Sharq al-Aswat" / "X, a Syrian daily,"."""
    if start >= 2 and doc[start - 1].text == "," and doc[start - 2].lower_ in ORG_NOUNS:
        return True
    if end + 3 < len(doc) and doc[end].text == "," and doc[end + 1].lower_ in ("a", "an", "the"):
        for t in doc[end + 2 : min(len(doc), end + 6)]:
            if t.text in (",", "."):
                break
            if t.lower_ in ORG_NOUNS:
                return True
    return False


def _dateline(doc: Doc, start: int) -> bool:
    """"ALEXANDRIA — ...", "Moorhead, Minn. (AP) -": a place that opens a line before a dash."""
    if start > 0 and "\n" not in doc[start - 1].whitespace_ and not doc[start - 1].is_space:
        return False
    for t in doc[start : start + 6]:
        if t.text in ("—", "–", "-", "--", "(") and t.i > start:
            return True
        if t.is_sent_end:
            break
    return False


def _headline_line(line: str) -> bool:
    """Whether a line is set in title case or capitals (see :meth:`_Lines.headline`)."""
    line = line.rstrip()
    if line.endswith((".", "!", "?", '"', "”", "’")) or len(line.split()) > 20:
        return False  # a sentence dense with names ("The United States Department of ...")
    words = _LONG_WORD.findall(line)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


_LONG_WORD = re.compile(r"[A-Za-z][\w'’-]{3,}")


def _non_overlapping(new: list[Span], keep: list[Span]) -> list[Span]:
    taken: set[int] = set()
    out = []
    for sp in new:
        taken.update(range(sp.start, sp.end))
        out.append(sp)
    for sp in keep:
        if not any(i in taken for i in range(sp.start, sp.end)):
            out.append(sp)
    return sorted(out, key=lambda s: s.start)


@Language.factory("sourcetrace_names")
def make_names(nlp: Language, name: str) -> NamesComponent:
    return NamesComponent(nlp, name)
