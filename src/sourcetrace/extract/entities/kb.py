"""The actor knowledge base: curated entries (``kb/actors.yaml``) plus user YAML files.

Every alias and metonym is indexed under its :func:`normalize_name` key, so lookups are
insensitive to case, diacritics, possessive/"of" forms, articles and transliteration.
Validation on load refuses unknown ``controlled_by`` ids, control cycles and an alias that
two different entries claim, naming the entries involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sourcetrace.extract.entities.normalize import is_acronym, keys_match, normalize_name, skeleton

DEFAULT_KB = Path(__file__).resolve().parent / "kb" / "actors.yaml"

TYPES = frozenset({
    "state", "government", "ministry", "legislature", "diplomatic_mission", "military",
    "intelligence", "person", "armed_group", "political_group", "state_media", "media", "ngo",
    "international_org", "organisation", "company", "place",
})
_REF_FIELDS = ("controlled_by", "funded_by", "affiliated_with")
# Short acronyms that are also common lower-case words ("US", "IS", "AP") only match when
# the surface is written in capitals.
_CASE_SENSITIVE_MAX = 3


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is malformed or inconsistent."""


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    metonyms: tuple[str, ...] = ()
    country: str | None = None
    controlled_by: str | None = None
    funded_by: str | None = None
    affiliated_with: str | None = None
    note: str | None = None
    source: str = ""  # file it came from, for error messages

    @property
    def surfaces(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.metonyms)

    @property
    def is_person(self) -> bool:
        return self.type == "person"


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry]
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    # keys that some short capitalised acronym ("US", "IS") produces
    _case_keys: set[str] = field(default_factory=set, repr=False)
    _skeletons: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _surnames: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _metonyms: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._index()

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, extra: Sequence[Path | str] = ()) -> KnowledgeBase:
        """The built-in base plus ``extra`` YAML files (later files may add entries, not
        redefine ids). The result for a given list of files is cached."""
        return _load_cached(tuple(str(Path(p).resolve()) for p in extra))

    @classmethod
    def from_files(cls, files: Sequence[Path | str]) -> KnowledgeBase:
        entries: dict[str, Entry] = {}
        for path in files:
            for entry in _read_file(Path(path)):
                if entry.id in entries:
                    raise KnowledgeBaseError(
                        f"{path}: id {entry.id!r} ({entry.name}) is already defined in "
                        f"{entries[entry.id].source} ({entries[entry.id].name})"
                    )
                entries[entry.id] = entry
        kb = cls(entries)
        kb.validate()
        return kb

    def validate(self) -> None:
        for entry in self.entries.values():
            for ref in _REF_FIELDS:
                target = getattr(entry, ref)
                if target is not None and target not in self.entries:
                    raise KnowledgeBaseError(
                        f"{entry.source}: {entry.name} ({entry.id}) has {ref}: {target!r}, "
                        "which is no entry id"
                    )
            seen = {entry.id}
            cur = entry.controlled_by
            while cur is not None:
                if cur in seen:
                    raise KnowledgeBaseError(
                        f"{entry.source}: control cycle through {entry.name} ({entry.id})"
                    )
                seen.add(cur)
                cur = self.entries[cur].controlled_by

    def _index(self) -> None:
        owners: dict[str, tuple[str, str]] = {}
        case_votes: dict[str, list[bool]] = {}
        for entry in self.entries.values():
            for surface in entry.surfaces:
                key = normalize_name(surface)
                if not key:
                    continue
                other = owners.get(key)
                if other is not None and other[0] != entry.id:
                    first = self.entries[other[0]]
                    raise KnowledgeBaseError(
                        f"{entry.source}: alias {surface!r} of {entry.name} ({entry.id}) "
                        f"duplicates {other[1]!r} of {first.name} ({first.id})"
                    )
                owners[key] = (entry.id, surface)
                short = is_acronym(surface) and len(surface.replace(".", "")) <= _CASE_SENSITIVE_MAX
                case_votes.setdefault(key, []).append(short)
            self._metonyms.update(normalize_name(m) for m in entry.metonyms)
            if entry.is_person:
                for surface in (entry.name, *entry.aliases):
                    words = normalize_name(surface).split()
                    if len(words) >= 2:
                        self._surnames.setdefault(words[-1], set()).add(entry.id)
        self._keys = {k: v[0] for k, v in owners.items()}
        self._case_keys = {k for k, votes in case_votes.items() if any(votes)}
        for key, eid in self._keys.items():
            self._skeletons.setdefault(skeleton(key), []).append(eid)

    # -- queries -------------------------------------------------------------------------
    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def lookup_key(self, key: str, surface: str | None = None) -> Entry | None:
        """Exact lookup by normalised key; ``surface`` enforces capitals for short acronyms."""
        eid = self._keys.get(key)
        if eid is None:
            return None
        # "us" or "is" in lower case is an English word, not the US or IS.
        if (key in self._case_keys and surface is not None and not _capitalised(surface)
                and sum(c.isalpha() for c in surface) <= _CASE_SENSITIVE_MAX):
            return None
        return self.entries[eid]

    def lookup(self, surface: str, fuzzy: bool = True) -> Entry | None:
        """The entry a surface form names, through its normalised alias; with ``fuzzy``, a
        unique transliteration variant (same skeleton, close spelling) also matches."""
        key = normalize_name(surface)
        if not key:
            return None
        hit = self.lookup_key(key, surface)
        if hit is not None or not fuzzy:
            return hit
        return self.fuzzy_lookup(key)

    def fuzzy_lookup(self, key: str) -> Entry | None:
        candidates = {
            self._keys[k]
            for k in self._keys_with_skeleton(key)
            if k not in self._case_keys and keys_match(key, k)
        }
        if len(candidates) == 1:
            return self.entries[candidates.pop()]
        return None

    def _keys_with_skeleton(self, key: str) -> list[str]:
        ids = self._skeletons.get(skeleton(key), [])
        if not ids:
            return []
        sk = skeleton(key)
        return [k for k, eid in self._keys.items() if eid in ids and skeleton(k) == sk]

    def is_metonym(self, surface: str) -> bool:
        """Whether a surface names its entry by metonymy (Moscow, the White House)."""
        return normalize_name(surface) in self._metonyms

    def by_surname(self, surname: str) -> list[Entry]:
        """People whose name ends with this surname (normalised)."""
        key = normalize_name(surname)
        return [self.entries[e] for e in sorted(self._surnames.get(key, ()))]

    def controllers(self, entry_id: str) -> list[str]:
        """The chain of control upwards, nearest first: svr -> [gov-russia, russia]."""
        chain: list[str] = []
        entry = self.entries.get(entry_id)
        while entry is not None and entry.controlled_by is not None:
            chain.append(entry.controlled_by)
            entry = self.entries.get(entry.controlled_by)
        return chain

    def root_controller(self, entry_id: str) -> str:
        """The top of the control chain (the entry itself when nothing controls it)."""
        chain = self.controllers(entry_id)
        return chain[-1] if chain else entry_id


def _capitalised(surface: str) -> bool:
    letters = [c for c in surface if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _read_file(path: Path) -> list[Entry]:
    try:
        # the C loader, when PyYAML has it, reads the built-in base several times faster
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read knowledge base {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {exc}") from exc
    items = data.get("entries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise KnowledgeBaseError(f"{path}: expected a list of entries (or a mapping 'entries:')")
    return [_entry(item, path, i) for i, item in enumerate(items)]


_ALLOWED = {"id", "name", "aliases", "metonyms", "type", "country", "controlled_by",
            "funded_by", "affiliated_with", "note"}


def _entry(item: Any, path: Path, index: int) -> Entry:
    where = f"{path}: entry {index + 1}"
    if not isinstance(item, dict):
        raise KnowledgeBaseError(f"{where}: expected a mapping, got {type(item).__name__}")
    name = item.get("name")
    label = f"{where} ({name or item.get('id') or '?'})"
    for req in ("id", "name", "type"):
        if not isinstance(item.get(req), str) or not item[req].strip():
            raise KnowledgeBaseError(f"{label}: missing or empty {req!r}")
    unknown = set(item) - _ALLOWED
    if unknown:
        raise KnowledgeBaseError(f"{label}: unknown fields {sorted(unknown)}")
    if item["type"] not in TYPES:
        raise KnowledgeBaseError(
            f"{label}: type {item['type']!r} is not one of {', '.join(sorted(TYPES))}"
        )
    lists = {}
    for key in ("aliases", "metonyms"):
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise KnowledgeBaseError(f"{label}: {key} must be a list of strings")
        lists[key] = tuple(value)
    country = item.get("country")
    if country is not None and not (isinstance(country, str) and len(country) == 2):
        raise KnowledgeBaseError(f"{label}: country must be an ISO 3166-1 alpha-2 code or null")
    return Entry(
        id=item["id"].strip(), name=name.strip(), type=item["type"],
        aliases=lists["aliases"], metonyms=lists["metonyms"],
        country=country.upper() if country else None,
        controlled_by=item.get("controlled_by"), funded_by=item.get("funded_by"),
        affiliated_with=item.get("affiliated_with"), note=item.get("note"), source=str(path),
    )


@lru_cache(maxsize=8)
def _load_cached(extra: tuple[str, ...]) -> KnowledgeBase:
    return KnowledgeBase.from_files([DEFAULT_KB, *extra])
