"""Name keys that unify the spelling variants news uses for one actor or place.

``normalize_name`` is deterministic and conservative: two surfaces with the same key are taken
to be the same name. ``skeleton`` is deliberately lossy (consonants only) and is used only to
propose candidates that ``same_name`` then confirms with a similarity score, so that
transliterations merge (Deir Ezzor / Dayr al-Zawr) while near-homographs (Iran / Iraq,
Austria / Australia, Sudan / South Sudan) stay apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d",
    "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d",
})
_APOSTROPHES = re.compile(r"[’‘`´ʼʻʿʾ′]")
_DASHES = re.compile(r"[‐‑‒–—―−]")

# The Arabic article and its assimilated forms, written with a hyphen (ad-Din, ash-Sham,
# ez-Zor) and tolerating stray spaces ("al- Khan"). English words are never hyphen-prefixed
# by these except in rare compounds, so removing them is safe in names.
_ARTICLE_HYPHEN = re.compile(
    r"\b(?:al|el|ad|adh|ar|as|ash|at|ath|az|an|ud|ul|ez|es|esh|er|ed|et|en)\s*-\s*"
)
# "Al Jazeera", "Al Tanf", "El Baz": a bare al/el before another word.
_ARTICLE_BARE = re.compile(r"\b(?:al|el)\s+(?=[a-z])")

# Country names, long forms and demonyms -> one short country key. Multi-word phrases are
# matched before single words. Keep the values distinct: "iran" vs "iraq" matter.
COUNTRY_FORMS: dict[str, str] = {}


def _countries(key: str, *forms: str) -> None:
    for form in (key, *forms):
        COUNTRY_FORMS[form] = key


_countries("us", "united states", "united states of america", "usa", "america", "american",
           "americans")
_countries("uk", "united kingdom", "britain", "great britain", "british", "briton", "britons")
_countries("russia", "russian", "russians", "russian federation")
_countries("syria", "syrian", "syrians", "syrian arab republic")
_countries("iran", "iranian", "iranians", "islamic republic of iran")
_countries("iraq", "iraqi", "iraqis")
_countries("turkey", "turkish", "turkiye", "turks")
_countries("israel", "israeli", "israelis")
_countries("china", "chinese", "people's republic of china", "prc")
_countries("ukraine", "ukrainian", "ukrainians")
_countries("france", "french")
_countries("germany", "german", "germans")
_countries("saudi arabia", "saudi", "saudis")
_countries("qatar", "qatari")
_countries("uae", "united arab emirates", "emirati")
_countries("egypt", "egyptian")
_countries("jordan", "jordanian")
_countries("lebanon", "lebanese")
_countries("palestine", "palestinian")
_countries("yemen", "yemeni")
_countries("afghanistan", "afghan")
_countries("pakistan", "pakistani")
_countries("india", "indian")
_countries("japan", "japanese")
_countries("north korea", "north korean", "dprk")
_countries("south korea", "south korean")
_countries("libya", "libyan")
_countries("sudan", "sudanese")
_countries("south sudan", "south sudanese")
_countries("ethiopia", "ethiopian")
_countries("somalia", "somali")
_countries("nigeria", "nigerian")
_countries("algeria", "algerian")
_countries("morocco", "moroccan")
_countries("tunisia", "tunisian")
_countries("azerbaijan", "azerbaijani")
_countries("armenia", "armenian")
_countries("belarus", "belarusian")
_countries("kazakhstan", "kazakh")
_countries("uzbekistan", "uzbek")
_countries("tajikistan", "tajik")
_countries("kyrgyzstan", "kyrgyz")
_countries("poland", "polish")
_countries("italy", "italian")
_countries("spain", "spanish")
_countries("netherlands", "dutch")
_countries("canada", "canadian")
_countries("australia", "australian")
_countries("austria", "austrian")
_countries("norway", "norwegian")
_countries("sweden", "swedish")
_countries("finland", "finnish")
_countries("denmark", "danish")
_countries("venezuela", "venezuelan")
_countries("cuba", "cuban")
_countries("brazil", "brazilian")
_countries("mexico", "mexican")
_countries("greece", "greek")
_countries("hungary", "hungarian")
_countries("serbia", "serbian")
_countries("bahrain", "bahraini")
_countries("oman", "omani")
_countries("kuwait", "kuwaiti")
_countries("south africa", "south african")
_countries("indonesia", "indonesian")
_countries("taiwan", "taiwanese")
_countries("georgia", "georgian")
_countries("belgium", "belgian")
_countries("switzerland", "swiss")
_countries("mali", "malian")
_countries("kenya", "kenyan")

_MAX_COUNTRY_WORDS = max(len(k.split()) for k in COUNTRY_FORMS)
_COUNTRY_KEYS = set(COUNTRY_FORMS.values())

# British spelling is the key; American variants map onto it.
_SPELLING = {
    "defense": "defence", "center": "centre", "centers": "centres", "program": "programme",
    "programs": "programmes", "labor": "labour",
}
_IZE = re.compile(r"iz(ation|ations|e|ed|es|ing)$")

_MINISTRY_PREFIX = re.compile(r"\b(\w+(?: affairs)?) (ministry|department)\b(?! of)")
_AFFAIRS = re.compile(r"\bministry of (foreign|internal|home) affairs\b")

# Titles and roles stripped from the front of person mentions.
TITLE_WORDS = frozenset("""
president vice prime minister ministers secretary spokesman spokeswoman spokesperson top senior
ambassador envoy general gen lt lieutenant colonel col major maj captain capt commander
admiral sergeant sgt sheikh shaikh king queen prince princess emir crown ayatollah supreme
leader mr mrs ms miss dr sir dame lord senator sen rep representative congressman
congresswoman governor gov mayor chancellor deputy former late chief head director chairman
chairwoman chair foreign defence defense interior state official officials spokespeople
pope imam cleric judge justice special permanent representative acting presidential press
adviser advisor national security intelligence army military ministry mfa mod agency
""".split())


def fold(text: str) -> str:
    """Strip diacritics and map the letters NFKD leaves alone to ASCII look-alikes."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_FUSED_ARTICLE = re.compile(r"e([tdrzsnl])\1")
_AY = re.compile(r"ay(?=[^aeiou]|$)")
_AW = re.compile(r"aw(?=[^aeiou]|$)")
_Y_VOWEL = re.compile(r"y(?=[aeiou])")
_IY_END = re.compile(r"iy$")
_DOUBLED = re.compile(r"(.)\1+")
_AH_END = re.compile(r"[ae]h$")


@lru_cache(maxsize=100_000)
def _translit(token: str, first: bool) -> str:
    """Collapse the transliteration variants of one (lower-case) word."""
    if not token.isalpha():
        return token
    # An assimilated article fused to the word after it: "Deir Ezzor" = "Deir ez-Zor".
    if not first and len(token) > 4 and _FUSED_ARTICLE.match(token):
        token = token[2:]
    token = token.replace("ee", "i").replace("oo", "u").replace("ou", "u")
    token = token.replace("q", "k")
    token = _AY.sub("ei", token)  # Dayr = Deir, Bayt = Beit
    token = _AW.sub("o", token)  # Zawr = Zor
    token = _Y_VOWEL.sub("i", token)  # Nebenzya = Nebenzia
    token = _IY_END.sub("y", token)  # Zelenskiy = Zelensky
    token = _DOUBLED.sub(r"\1", token)  # Vassily = Vasily, Zelenskyy = Zelensky
    if len(token) > 3:
        token = _AH_END.sub("a", token)  # Hasakah = Hasakeh = Hasaka
    return token


def _basic_tokens(text: str) -> list[str]:
    """Fold, lower-case, drop articles, possessives and punctuation; return words."""
    s = fold(text).lower()
    s = _APOSTROPHES.sub("'", s)
    s = _DASHES.sub("-", s)
    s = _ARTICLE_HYPHEN.sub(" ", s)
    s = _ARTICLE_BARE.sub("", s)
    s = re.sub(r"'s\b", "", s)
    s = s.replace("'", "")
    s = re.sub(r"\b((?:[a-z]\.){2,})", lambda m: m.group(1).replace(".", ""), s)  # U.S. -> us
    s = s.replace("&", " and ")
    s = re.sub(r"[^\w\s]|_", " ", s)
    return [t for t in s.split() if t != "the"]


def _map_countries(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_COUNTRY_WORDS, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            if phrase in COUNTRY_FORMS:
                out.append(COUNTRY_FORMS[phrase])
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=200_000)
def normalize_name(text: str) -> str:
    """A key under which spelling variants of one name coincide.

    "Russia's Foreign Intelligence Service", "Foreign Intelligence Service of Russia" and
    "Russian Foreign Intelligence Service" all give ``russia foreign inteligence service``.
    """
    tokens = _basic_tokens(text)
    tokens = [_SPELLING.get(t, _IZE.sub(r"is\1", t) if len(t) > 6 else t) for t in tokens]
    tokens = _map_countries(tokens)
    # "X of Russia" -> "Russia X", the same order as "Russia's X" and "Russian X".
    if len(tokens) >= 3 and tokens[-2] == "of" and tokens[-1] in _COUNTRY_KEYS:
        tokens = [tokens[-1], *tokens[:-2]]
    s = " ".join(tokens)
    # "Defence Ministry" -> "ministry of defence" (but "Russia Ministry" is a country prefix).
    s = _MINISTRY_PREFIX.sub(
        lambda m: m.group(0) if m.group(1) in _COUNTRY_KEYS else f"{m.group(2)} of {m.group(1)}",
        s,
    )
    s = _AFFAIRS.sub(r"ministry of \1", s)
    words = s.split()
    return " ".join(_translit(w, i == 0) for i, w in enumerate(words))


_VOWELS = re.compile(r"[aeiouyhw]")
_POSSESSIVE_S = re.compile(r"'s$|’s$")


@lru_cache(maxsize=200_000)
def skeleton(key: str) -> str:
    """Consonant skeleton of a normalised key: first letter kept, later vowels, y, w, h
    dropped, doubles collapsed. Only a candidate generator (see ``same_name``)."""
    out = []
    for token in key.split():
        rest = _VOWELS.sub("", token[1:])
        out.append(re.sub(r"(.)\1+", r"\1", token[:1] + rest))
    return " ".join(out)


def same_name(a: str, b: str) -> bool:
    """True when two surfaces are spelling variants of one name."""
    ka, kb = normalize_name(a), normalize_name(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    return keys_match(ka, kb)


def keys_match(ka: str, kb: str) -> bool:
    """Fuzzy test on two normalised keys: same skeleton, same number of words, each word
    with the same first letter, enough consonants to be distinctive, and close spelling."""
    if ka == kb:
        return True
    ta, tb = ka.split(), kb.split()
    if len(ta) != len(tb) or any(x[0] != y[0] for x, y in zip(ta, tb, strict=True)):
        return False
    # A whole extra syllable is another name (Niger / Nigeria), not another spelling.
    if any(abs(len(x) - len(y)) > 1 for x, y in zip(ta, tb, strict=True)):
        return False
    sa = skeleton(ka)
    if sa != skeleton(kb):
        return False
    if len(sa.replace(" ", "")) < 3:
        # Two consonants say little: only a same-length vowel swap (Qaeda / Qaida).
        return len(ka) == len(kb) and fuzz.ratio(ka, kb) >= 80
    # Digits or acronyms differ on purpose (e.g. "UNSC 2254" vs "UNSC 2245").
    if any(x.isdigit() or y.isdigit() for x, y in zip(ta, tb, strict=True) if x != y):
        return False
    return fuzz.ratio(ka, kb) >= 70


@lru_cache(maxsize=1)
def _country_name_keys() -> frozenset[str]:
    return frozenset(normalize_name(k) for k in COUNTRY_FORMS)


def is_country(word: str) -> bool:
    """Whether a word or phrase names a country or its people ("Russian", "Russia's")."""
    return normalize_name(word) in _country_name_keys()


@lru_cache(maxsize=100_000)
def strip_titles(text: str) -> str:
    """Drop titles and roles in front of a name: "Russian Defense Ministry spokesman Igor
    Konashenkov" -> "Igor Konashenkov". Leaves the text alone when nothing name-like is left."""
    words = text.split()
    last_title = -1
    for i, w in enumerate(words):
        bare = fold(w).lower().strip(".,:;'’\"")
        bare = _POSSESSIVE_S.sub("", bare)
        if bare in TITLE_WORDS or is_country(bare):
            last_title = i
        elif w[:1].isupper() and i > last_title + 1:
            break
    rest = words[last_title + 1 :]
    if not rest or not rest[0][:1].isupper():
        return text.strip()
    return " ".join(rest).strip(" ,")


def initials(text: str) -> str:
    """Upper-case initials of the significant words: "Inter-Service Intelligence" -> ISI,
    "Hayat Tahrir al-Sham" -> HTS, "Commonwealth of Independent States" -> CIS."""
    s = _APOSTROPHES.sub("'", fold(text))
    s = _DASHES.sub("-", s)
    s = re.sub(r"\b(?:al|el|Al|El)\s*-\s*", "", s)
    out = []
    for word in re.split(r"[\s\-]+", s):
        word = word.strip("'\".,()")
        if not word or word.lower() in _MINOR:
            continue
        out.append(word[0].upper())
    return "".join(out)


_MINOR = frozenset("of the and for in on de du des la le to at by 's s".split())


def is_acronym(text: str) -> bool:
    """"SVR", "U.N.", "IEDs": two to seven capitals (dots and a plural s allowed)."""
    bare = text.replace(".", "")
    bare = bare[:-1] if bare.endswith("s") and bare[:-1].isupper() else bare
    return 2 <= len(bare) <= 7 and bare.isalpha() and bare.isupper()


def acronym_letters(text: str) -> str:
    bare = text.replace(".", "")
    return bare[:-1] if bare.endswith("s") and bare[:-1].isupper() else bare
