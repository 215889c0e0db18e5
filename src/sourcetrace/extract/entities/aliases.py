"""Descriptions a reader takes as another name of an actor, found in one document's text.

An apposition or a copula gives a named actor a description for the rest of its document:
"SANA, Syria's official news agency, reported", "Syria's official news agency, SANA,
reported", "the NSV is Norland's foreign intelligence service". A later source or mention
that repeats the whole description ("Syria's official news agency said") is that actor; a
bare head ("the agency") is not, since it may point at any agency of the article.

A person introduced with a role ("Russia's ambassador to the UN, Vassily Nebenzya",
"Norland's envoy Tomas Vrbenko") is what a later "the Russian envoy" or "the ambassador"
stands for when no one else of the document was introduced with that role.

Only the text and the document's mentions are read: this runs where the document is, and
what it finds travels to the corpus-wide part of linking as :class:`Alias` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sourcetrace.extract.entities.normalize import is_acronym, is_country, normalize_name

# Heads that make a description an organisation's ("Syria's official news agency").
ORG_HEADS = frozenset("""agency ministry department service army militia group party
movement network channel broadcaster newspaper daily outlet council committee commission
authority bureau office embassy mission coalition alliance front brigade brigades
administration government regime company firm union institute watchdog observatory monitor
organisation organization force forces""".split())
# Role nouns of people, each mapped to its class: "envoy" and "ambassador" name one role.
ROLE_CLASSES: dict[str, str] = {
    "envoy": "ambassador", "ambassador": "ambassador",
    "spokesman": "spokesperson", "spokeswoman": "spokesperson", "spokesperson": "spokesperson",
    **{w: w for w in """minister president premier chancellor king queen prince emir
    governor mayor senator secretary director chairman chairwoman commander prosecutor
    general""".split()},
}
_DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their"})
# A complement after the head that stays inside the description ("ambassador to the UN").
_COMPLEMENT_PREPS = frozenset({"to", "of", "for", "at", "in"})
# Words that turn the phrase before a comma into something else than a description of the
# name after it ("the wife of Norland's envoy, X": X is the envoy, the phrase is the wife).
_EMBEDDING = frozenset({"of"})
_COPULAS = frozenset({"is", "was"})
# How far before a name a description may start, in characters.
_REACH = 120
_BOUNDARY = re.compile(r"[,;:()\[\]\"“”.!?\n]")
_POSSESSIVE = re.compile(r"^[A-Z][\w\-.]*['’]s$")


@dataclass(frozen=True)
class Alias:
    """A description (kind ``description``) or a role (kind ``role``) a document gives the
    actor named at ``start``:``end`` (``name``, as written). ``alias`` is the description as
    written, or the role's class; ``qualifier`` the country key the description names
    ("russia" in "Russia's ambassador"), else ""."""

    kind: str
    alias: str
    name: str
    start: int
    end: int
    qualifier: str = ""

    def row(self, doc: str) -> dict[str, Any]:
        return {"doc": doc, "kind": self.kind, "alias": self.alias, "qualifier": self.qualifier,
                "name": self.name, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Description:
    """A descriptive noun phrase: its text, head noun and the country it names ("" if none);
    ``qualified`` when it says more than its head ("Syria's official news agency", not "the
    agency")."""

    text: str
    head: str
    country: str
    qualified: bool


def parse_description(words: list[str], roles_only: bool = False) -> Description | None:
    """``words`` as a whole descriptive noun phrase: a determiner or a possessive name, up
    to five modifiers, a head noun (:data:`ORG_HEADS` or :data:`ROLE_CLASSES`) and maybe a
    complement of capitalised words ("to the UN"). ``roles_only``: a role noun as head and
    nothing but country words before it ("the Russian envoy", "Norland's ambassador")."""
    if len(words) < 2:
        return None
    first = words[0]
    possessive = _POSSESSIVE.match(first)
    if first.lower() not in _DETERMINERS and not possessive:
        return None
    for h in range(len(words) - 1, 0, -1):
        head = words[h].lower()
        if head not in ORG_HEADS and head not in ROLE_CLASSES:
            continue
        if roles_only and head not in ROLE_CLASSES:
            return None
        mods, tail = words[1:h], words[h + 1 :]
        if len(mods) > 5 or not all(re.fullmatch(r"[\w\-’']+", w) for w in mods):
            return None
        if tail and not _complement(tail):
            return None
        if roles_only and (tail or not all(is_country(w) for w in mods)):
            return None
        country = _country(([first] if possessive else []) + mods)
        return Description(" ".join(words), head, country, bool(possessive or mods or tail))
    return None


def _complement(tail: list[str]) -> bool:
    """"to the UN", "of the Northland Republic": a preposition and a capitalised name."""
    if tail[0].lower() not in _COMPLEMENT_PREPS or len(tail) < 2:
        return False
    rest = tail[2:] if tail[1].lower() == "the" else tail[1:]
    return 0 < len(rest) <= 4 and all(w[:1].isupper() for w in rest)


def role_of(description: Description) -> str | None:
    """The role class of a description whose head is a person's role noun."""
    return ROLE_CLASSES.get(description.head)


def find_aliases(text: str, mentions: Iterable[Mapping[str, Any]]) -> list[Alias]:
    """Descriptions and roles the text gives its named mentions (see the module docstring),
    in text order. Type agreement is checked here as far as the text tells: an organisation's
    head never describes a person, a role never an organisation."""
    out: list[Alias] = []
    spans = [m for m in mentions if m.get("start") is not None and m.get("end") is not None]
    ends = {m["end"] for m in spans}
    for m in sorted(spans, key=lambda r: (r["start"], r["end"])):
        name = text[m["start"] : m["end"]]
        person = _person_like(name, m.get("label"))
        for desc in _around(text, m["start"], m["end"], ends):
            role = role_of(desc)
            if role is not None and not person:
                continue
            if role is None and person:
                continue
            if desc.qualified:
                out.append(Alias("description", desc.text, name, m["start"], m["end"]))
            if role is not None:
                out.append(Alias("role", role, name, m["start"], m["end"], desc.country))
        title = _title_before(text, m["start"])
        if title is not None and person:
            out.append(Alias("role", ROLE_CLASSES[title.head], name, m["start"], m["end"],
                             title.country))
    return out


def _person_like(name: str, label: str | None) -> bool:
    """A person's name: labelled so (but no acronym: NER labels "SANA" PERSON at times), or
    two to four capitalised words that are no acronym and no organisation head (NER labels
    "Vassily Nebenzya" ORG at times)."""
    if label == "PERSON":
        return not is_acronym(name)
    words = name.split()
    return (
        label in ("ORG", "GPE", "NORP")
        and 2 <= len(words) <= 4
        and all(w[:1].isupper() and not is_acronym(w) for w in words)
        and not any(w.lower() in ORG_HEADS for w in words)
    )


def _around(text: str, start: int, end: int, ends: set[int]) -> list[Description]:
    """Descriptions in apposition to the name at ``start``:``end`` or after its copula;
    ``ends``: where the document's mentions end (to tell list items)."""
    found: list[Description] = []
    after = text[end : end + _REACH]
    if _list_follows(after):
        return found  # "X, Y and Z": a list of names, not a name and its description
    # "SANA, Syria's official news agency, reported" / "X is Norland's spy service."
    m = re.match(r"(?:,\s+|\s+(?:is|was)\s+)([^,;:()\[\]\"“”.!?\n]+)([,.;:]|$)", after)
    if m:
        desc = parse_description(m.group(1).split())
        copula = m.group(0).split()[0] in _COPULAS
        # a copula ends its description with the sentence or a comma; an apposition with a
        # comma or the sentence (never "SANA, the agency that" and the like)
        if desc is not None and (copula or m.group(2) in ",.;"):
            found.append(desc)
    # "Syria's official news agency, SANA, reported"
    origin = max(0, start - _REACH)
    before = text[origin:start]
    if before.endswith(", ") or before.endswith(","):
        segment = before.rstrip().rstrip(",")
        cut = max((b.end() for b in _BOUNDARY.finditer(segment)), default=0)
        desc = _rightmost_description(segment[cut:].split())
        if desc is not None and not _after_a_list_item(text, origin + cut, ends):
            found.append(desc)
    return found


def _rightmost_description(words: list[str]) -> Description | None:
    """The shortest whole description ending the words, unless the words before it make it
    the complement of a bigger phrase ("the wife of Norland's envoy")."""
    for k in range(len(words) - 2, -1, -1):
        desc = parse_description(words[k:])
        if desc is not None:
            if k > 0 and words[k - 1].lower() in _EMBEDDING:
                return None
            return desc
    return None


def _list_follows(after: str) -> bool:
    """Whether a list of names goes on after the name ("X and Y", "X, Y and Z")."""
    return re.match(r",?\s+(?:and|or|&)\b", after) is not None or re.match(
        r",\s+[^,.;]{1,60},\s+(?:the\s+)?(?:[A-Z][\w\-]*\s+){0,4}(?:and|or)\b", after
    ) is not None


def _after_a_list_item(text: str, at: int, ends: set[int]) -> bool:
    """Whether the phrase starting at ``at`` follows another list item ("ISIS, the Syrian
    army, SANA"): a mention and a comma just before it ("In August, ..." is no item)."""
    head = text[:at].rstrip()
    return head.endswith(",") and len(head) - 1 in ends


def _title_before(text: str, start: int) -> Description | None:
    """A role right before a person's name ("Norland's envoy Tomas Vrbenko", "the Russian
    ambassador Ilya X"): country words and a role noun, with or without a determiner."""
    before = text[max(0, start - 60) : start]
    if not before.endswith(" "):
        return None
    words = before.split()
    if not words or words[-1].lower() not in ROLE_CLASSES:
        return None
    k = len(words) - 1
    while k > 0 and is_country(words[k - 1]):
        k -= 1
    mods = words[k:-1]
    country = _country(mods)
    return Description(" ".join(words[k:]), words[-1].lower(), country, bool(mods))


def _country(words: list[str]) -> str:
    """The key of the first country word ("Russia's", "Syrian" -> its country), else ""."""
    return next((normalize_name(w) for w in words if is_country(w)), "")
