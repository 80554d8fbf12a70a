"""Medicine, vaccine and symptom lexicons: loaded from YAML data and searched in patients' words.

The facts (drug classes, steroid equivalents, which vaccines are live or mRNA-LNP) live in
`bot/lexicons/*.yml`; this module validates them once and finds their names in free text:
several names per message, brand names, small misspellings (RapidFuzz edit distance over word
n-grams) and Chinese names (by substring, in simplified characters, with one character of a name
of three or more allowed to be a homophone: the usual slip of a pinyin keyboard).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.chinese import homophones, pinyin_spellings, to_simplified

LEXICON_DIRECTORY = Path(__file__).parent / "lexicons"

MEDICINE_CLASSES = frozenset(
    {"corticosteroid", "immunosuppressant", "antimalarial", "targeted", "nsaid", "lnp_medicine"}
)
VACCINE_KINDS = frozenset({"live", "mrna_lnp", "other", "unknown", "unknown_mrna"})
REFERENCE_PREDNISONE_MG = 5.0

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_TOKEN = re.compile(f"[^\\W_{_CJK}]+")
_NOT_WORD = re.compile(r"[\W_]+")
_MAX_FUZZY_WORDS = 3
_MAX_EDIT_DISTANCE = 2
# A Chinese name this long may have one character typed as a homophone (shorter ones are too
# easily everyday words: 纷乐 fēn lè is also 分了).
_MIN_HOMOPHONE_NAME = 3


class LexiconError(ValueError):
    """A lexicon file is broken; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Medicine:
    id: str
    name: str
    drug_class: str
    names: tuple[str, ...]
    prednisone_equivalent_mg: float | None
    i4_drug: str | None


@dataclass(frozen=True)
class Vaccine:
    id: str
    name: str
    kind: str
    covid: bool
    names: tuple[str, ...]
    # For a name that can mean several products ("shingles vaccine"): the products it can be.
    # Naming one of them as well ("Shingrix, the shingles vaccine") says which it was.
    one_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class SledaiItem:
    id: str
    name: str
    points: int
    clinical: bool
    names: tuple[str, ...]


def fold(text: str) -> str:
    """Unicode-normalise and case-fold, so full-width letters and capitals compare equal, and
    traditional characters read as simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).casefold())


def _name_key(name: str) -> str:
    """A Latin name as matched: its words joined by single spaces ("Covid-19" -> "covid 19")."""
    return " ".join(_LATIN_TOKEN.findall(fold(name)))


def _compact(text: str) -> str:
    return _NOT_WORD.sub("", fold(text))


def _allowed_distance(length: int) -> int:
    """Edit distance tolerated for a word of this length: none for short words ("no", "mmr")."""
    if length < 5:
        return 0
    if length < 8:
        return 1
    return _MAX_EDIT_DISTANCE


@dataclass(frozen=True)
class NameMatch:
    """One name found in a text: the entry and its span over the case-folded text."""

    entry_id: str
    start: int
    end: int


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    entry_id: str
    distance: int


class _NameMatcher:
    """Finds the entries of one lexicon named in a text; everything costly is precomputed."""

    def __init__(self, names_by_id: dict[str, tuple[str, ...]], common_words: frozenset[str]):
        self._common_words = common_words
        self._exact: dict[str, str] = {}
        self._compact_exact: dict[str, str] = {}
        self._cjk: list[tuple[str, str]] = []
        # (length, position, the name without that character) -> [(that character, entry id)]
        self._cjk_one_off: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
        self._fuzzy_buckets: dict[tuple[int, int], list[str]] = {}
        max_words = 1
        for entry_id, names in names_by_id.items():
            for name in names:
                if _CJK_CHAR.search(name):
                    compact = _compact(name)
                    self._cjk.append((compact, entry_id))
                    if len(compact) >= _MIN_HOMOPHONE_NAME:
                        for at, character in enumerate(compact):
                            rest = compact[:at] + compact[at + 1 :]
                            key = (len(compact), at, rest)
                            self._cjk_one_off.setdefault(key, []).append((character, entry_id))
                    for spelling in pinyin_spellings(compact):
                        # A real name spelt the same wins; short pinyin is matched exactly
                        # only ("fenle", 纷乐, is one slip from "fence").
                        if _name_key(spelling) not in self._exact:
                            max_words = max(max_words, self._add_latin(spelling, entry_id, 8))
                    continue
                max_words = max(max_words, self._add_latin(name, entry_id, 5))
        self._max_words = max_words
        self._cjk_one_off_lengths = sorted({length for length, _, _ in self._cjk_one_off})

    def _add_latin(self, name: str, entry_id: str, fuzzy_from: int) -> int:
        """Index a Latin name (fuzzy matching from `fuzzy_from` letters); its word count."""
        key = _name_key(name)
        words = key.split(" ")
        self._exact[key] = entry_id
        self._compact_exact.setdefault(key.replace(" ", ""), entry_id)
        if len(key) >= fuzzy_from and all(len(word) >= 4 for word in words):
            self._fuzzy_buckets.setdefault((len(words), len(key)), []).append(key)
        return len(words)

    def find(self, text: str) -> list[str]:
        """Entry ids named in `text`, in order of appearance, without duplicates."""
        ids: list[str] = []
        for match in self.locate(text):
            if match.entry_id not in ids:
                ids.append(match.entry_id)
        return ids

    def locate(self, text: str) -> list[NameMatch]:
        """Every name found, as spans over `fold(text)`, in order (longest name wins overlaps)."""
        folded = fold(text)
        matches = self._latin_matches(folded)
        if _CJK_CHAR.search(folded):
            matches.extend(self._cjk_matches(folded))
        chosen: list[_Match] = []
        taken: list[tuple[int, int]] = []
        for match in sorted(matches, key=lambda m: (m.start - m.end, m.distance, m.start)):
            if all(match.end <= start or match.start >= end for start, end in taken):
                chosen.append(match)
                taken.append((match.start, match.end))
        return [
            NameMatch(m.entry_id, m.start, m.end) for m in sorted(chosen, key=lambda m: m.start)
        ]

    def _latin_matches(self, folded: str) -> list[_Match]:
        tokens = [(m.group(), m.start(), m.end()) for m in _LATIN_TOKEN.finditer(folded)]
        matches: list[_Match] = []
        for first in range(len(tokens)):
            for count in range(1, min(self._max_words, len(tokens) - first) + 1):
                words = [word for word, _, _ in tokens[first : first + count]]
                start, end = tokens[first][1], tokens[first + count - 1][2]
                key = " ".join(words)
                entry_id = self._exact.get(key)
                if entry_id is None:
                    entry_id = self._compact_exact.get("".join(words))
                if entry_id is not None:
                    matches.append(_Match(start, end, entry_id, 0))
                    continue
                if count <= _MAX_FUZZY_WORDS:
                    fuzzy = self._fuzzy_match(key, words)
                    if fuzzy is not None:
                        matches.append(_Match(start, end, fuzzy[0], fuzzy[1]))
        return matches

    def _fuzzy_match(self, key: str, words: list[str]) -> tuple[str, int] | None:
        if len(key) < 5 or any(len(word) < 4 for word in words):
            return None
        if len(words) == 1 and key in self._common_words:
            return None
        found: dict[str, int] = {}
        for length in range(len(key) - _MAX_EDIT_DISTANCE, len(key) + _MAX_EDIT_DISTANCE + 1):
            bucket = self._fuzzy_buckets.get((len(words), length))
            if not bucket:
                continue
            limit = _allowed_distance(min(len(key), length))
            if abs(length - len(key)) > limit:
                continue
            for name, distance, _ in process.extract(
                key, bucket, scorer=OSA.distance, score_cutoff=limit, limit=4
            ):
                entry_id = self._exact[name]
                found[entry_id] = min(distance, found.get(entry_id, distance))
        if not found:
            return None
        best = min(found.values())
        best_ids = [entry_id for entry_id, distance in found.items() if distance == best]
        if len(best_ids) > 1:
            return None
        return best_ids[0], best

    def _cjk_matches(self, folded: str) -> list[_Match]:
        compact_chars: list[str] = []
        positions: list[int] = []
        for index, char in enumerate(folded):
            if not _NOT_WORD.fullmatch(char):
                compact_chars.append(char)
                positions.append(index)
        compact = "".join(compact_chars)
        matches: list[_Match] = []
        for name, entry_id in self._cjk:
            found_at = compact.find(name)
            while found_at != -1:
                end = positions[found_at + len(name) - 1] + 1
                matches.append(_Match(positions[found_at], end, entry_id, 0))
                found_at = compact.find(name, found_at + 1)
        matches.extend(self._homophone_matches(compact, positions))
        return matches

    def _homophone_matches(self, compact: str, positions: list[int]) -> list[_Match]:
        """Names with one character typed as another of the same sound (羟绿喹 for 羟氯喹)."""
        matches: list[_Match] = []
        for length in self._cjk_one_off_lengths:
            for start in range(len(compact) - length + 1):
                window = compact[start : start + length]
                for at, typed in enumerate(window):
                    if not _CJK_CHAR.match(typed):
                        continue
                    rest = window[:at] + window[at + 1 :]
                    for character, entry_id in self._cjk_one_off.get((length, at, rest), ()):
                        if homophones(typed, character):
                            end = positions[start + length - 1] + 1
                            matches.append(_Match(positions[start], end, entry_id, 1))
        return matches


@dataclass(frozen=True)
class Lexicon:
    medicines: dict[str, Medicine]
    vaccines: dict[str, Vaccine]
    sledai: dict[str, SledaiItem]
    generic_covid_names: tuple[str, ...]
    common_words: frozenset[str] = field(repr=False)
    _matchers: dict[str, _NameMatcher] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        matchers = {
            "medicine": _NameMatcher(
                {m.id: m.names for m in self.medicines.values()}, self.common_words
            ),
            "vaccine": _NameMatcher(
                {v.id: v.names for v in self.vaccines.values()}, self.common_words
            ),
            "sledai": _NameMatcher(
                {s.id: s.names for s in self.sledai.values()}, self.common_words
            ),
            "generic_covid": _NameMatcher(
                {"generic_covid": self.generic_covid_names}, self.common_words
            ),
        }
        object.__setattr__(self, "_matchers", matchers)

    def medicine(self, medicine_id: str) -> Medicine:
        return self.medicines[medicine_id]

    def vaccine(self, vaccine_id: str) -> Vaccine:
        return self.vaccines[vaccine_id]

    def prednisone_mg(self, medicine_id: str, mg_per_day: float) -> float | None:
        """mg/day of a steroid -> prednisone-equivalent mg/day; None if it is not a steroid."""
        medicine = self.medicines.get(medicine_id)
        if medicine is None or medicine.prednisone_equivalent_mg is None:
            return None
        return mg_per_day * REFERENCE_PREDNISONE_MG / medicine.prednisone_equivalent_mg

    def find_medicines(self, text: str) -> list[str]:
        return self._matchers["medicine"].find(text)

    def locate(self, kind: str, text: str) -> list[NameMatch]:
        """Names of `kind` ("medicine", "vaccine", "sledai", "generic_covid") with their spans
        over `fold(text)`, so a parser can see what is said around each name."""
        return self._matchers[kind].locate(text)

    def all_names(self, kind: str) -> list[str]:
        """Every surface name of "medicine", "vaccine" or "sledai" entries (for NLU examples)."""
        entries: dict[str, Any] = {
            "medicine": self.medicines,
            "vaccine": self.vaccines,
            "sledai": self.sledai,
        }[kind]
        return [name for entry in entries.values() for name in entry.names]


# --- loading and validation ---------------------------------------------------------------------


class _FileReader:
    """Reads one lexicon file and turns every problem into a LexiconError naming file and entry."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, entry_id: str | None, problem: str) -> LexiconError:
        where = f"{self.path.name}: entry '{entry_id}'" if entry_id else self.path.name
        return LexiconError(f"{where}: {problem}")

    def load(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as error:
            raise self.fail(None, f"cannot be read ({error.strerror})") from None
        except yaml.YAMLError as error:
            raise self.fail(None, f"is not valid YAML ({error})") from None
        if not isinstance(data, dict):
            raise self.fail(None, "must be a mapping at the top level")
        return data

    def entries(
        self, data: dict[str, Any], key: str, required: set[str], optional: set[str]
    ) -> list[dict[str, Any]]:
        entries = data.get(key)
        if not isinstance(entries, list) or not entries:
            raise self.fail(None, f"needs a non-empty list '{key}'")
        seen_ids: set[str] = set()
        owner_of_name: dict[str, str] = {}
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise self.fail(f"#{position}", "must be a mapping")
            entry_id = entry.get("id")
            if not isinstance(entry_id, str) or not _ID_PATTERN.match(entry_id):
                raise self.fail(f"#{position}", "needs an 'id' in snake_case")
            missing = sorted(required - entry.keys())
            if missing:
                raise self.fail(entry_id, f"missing field(s): {', '.join(missing)}")
            unknown = sorted(entry.keys() - required - optional)
            if unknown:
                raise self.fail(entry_id, f"unknown field(s): {', '.join(unknown)}")
            if entry_id in seen_ids:
                raise self.fail(entry_id, "duplicate id")
            seen_ids.add(entry_id)
            if not isinstance(entry["name"], str) or not entry["name"].strip():
                raise self.fail(entry_id, "'name' must be a non-empty text")
            for name in self.names(entry_id, entry["names"]):
                key_of_name = _compact(name) if _CJK_CHAR.search(name) else _name_key(name)
                other = owner_of_name.setdefault(key_of_name, entry_id)
                if other != entry_id:
                    raise self.fail(entry_id, f"name '{name}' is also used by entry '{other}'")
        return entries

    def names(self, entry_id: str, names: object) -> tuple[str, ...]:
        if not isinstance(names, list) or not names:
            raise self.fail(entry_id, "'names' must be a non-empty list")
        result = []
        for name in names:
            if not isinstance(name, str) or not _compact(name):
                raise self.fail(entry_id, f"name {name!r} must be a non-empty text")
            result.append(name)
        return tuple(result)

    def string_list(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        values = data.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise self.fail(None, f"'{key}' must be a list of texts")
        return tuple(values)


def _load_medicines(path: Path) -> dict[str, Medicine]:
    reader = _FileReader(path)
    entries = reader.entries(
        reader.load(),
        "medicines",
        {"id", "name", "class", "names"},
        {"prednisone_equivalent_mg", "i4_drug"},
    )
    medicines = {}
    for entry in entries:
        entry_id, drug_class = entry["id"], entry["class"]
        if drug_class not in MEDICINE_CLASSES:
            raise reader.fail(entry_id, f"unknown class '{drug_class}'")
        equivalent = entry.get("prednisone_equivalent_mg")
        if drug_class == "corticosteroid":
            is_number = isinstance(equivalent, int | float) and not isinstance(equivalent, bool)
            if not is_number or equivalent <= 0:
                raise reader.fail(entry_id, "a corticosteroid needs prednisone_equivalent_mg > 0")
        elif equivalent is not None:
            raise reader.fail(entry_id, "only a corticosteroid has prednisone_equivalent_mg")
        i4_drug = entry.get("i4_drug")
        if drug_class == "immunosuppressant" and i4_drug is None:
            raise reader.fail(entry_id, "an immunosuppressant needs i4_drug")
        if i4_drug is not None and not (isinstance(i4_drug, str) and _ID_PATTERN.match(i4_drug)):
            raise reader.fail(entry_id, "i4_drug must be a snake_case id")
        medicines[entry_id] = Medicine(
            id=entry_id,
            name=entry["name"],
            drug_class=drug_class,
            names=reader.names(entry_id, entry["names"]),
            prednisone_equivalent_mg=None if equivalent is None else float(equivalent),
            i4_drug=i4_drug,
        )
    return medicines


def _load_vaccines(path: Path) -> tuple[dict[str, Vaccine], tuple[str, ...]]:
    reader = _FileReader(path)
    data = reader.load()
    entries = reader.entries(data, "vaccines", {"id", "name", "kind", "covid", "names"}, {"one_of"})
    vaccines = {}
    for entry in entries:
        entry_id = entry["id"]
        if entry["kind"] not in VACCINE_KINDS:
            raise reader.fail(entry_id, f"unknown kind '{entry['kind']}'")
        if not isinstance(entry["covid"], bool):
            raise reader.fail(entry_id, "'covid' must be true or false")
        vaccines[entry_id] = Vaccine(
            id=entry_id,
            name=entry["name"],
            kind=entry["kind"],
            covid=entry["covid"],
            names=reader.names(entry_id, entry["names"]),
            one_of=tuple(entry.get("one_of") or ()),
        )
    for vaccine in vaccines.values():
        if unknown := set(vaccine.one_of) - set(vaccines):
            raise reader.fail(vaccine.id, f"one_of names unknown vaccines {sorted(unknown)}")
    return vaccines, reader.string_list(data, "generic_covid_names")


def _load_sledai(path: Path) -> dict[str, SledaiItem]:
    reader = _FileReader(path)
    entries = reader.entries(
        reader.load(), "sledai", {"id", "name", "points", "clinical", "names"}, set()
    )
    items = {}
    for entry in entries:
        entry_id, points = entry["id"], entry["points"]
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise reader.fail(entry_id, "'points' must be a whole number above 0")
        if not isinstance(entry["clinical"], bool):
            raise reader.fail(entry_id, "'clinical' must be true or false")
        items[entry_id] = SledaiItem(
            id=entry_id,
            name=entry["name"],
            points=points,
            clinical=entry["clinical"],
            names=reader.names(entry_id, entry["names"]),
        )
    return items


def _load_common_words(path: Path) -> frozenset[str]:
    reader = _FileReader(path)
    return frozenset(_name_key(word) for word in reader.string_list(reader.load(), "words"))


def load_lexicon(directory: Path = LEXICON_DIRECTORY) -> Lexicon:
    """Load and validate every lexicon file of `directory`, once per directory and process."""
    return _load_lexicon(Path(directory).resolve())


@functools.lru_cache(maxsize=8)
def _load_lexicon(directory: Path) -> Lexicon:
    vaccines, generic_covid_names = _load_vaccines(directory / "vaccines.yml")
    return Lexicon(
        medicines=_load_medicines(directory / "medicines.yml"),
        vaccines=vaccines,
        sledai=_load_sledai(directory / "sledai.yml"),
        generic_covid_names=generic_covid_names,
        common_words=_load_common_words(directory / "common_words.yml"),
    )
