"""Campaign names reduced to the campaign they mean, with how sure each step is.

A name is split into lower-case words (separators, case and accents' neighbours aside),
then loses, in order and only while a word remains: platform words ("FB", "tt",
"Bing"), market words ("US", "UK") and targeting words ("Prospecting", "Search"). What
is left is the name's *core*: "Summer Sale 2025 | Prospecting", "summer_sale_2025_tt"
and "SUMMER-SALE-2025 | FB" all have the core ``summer sale 2025``. Each step that
changed something lowers the confidence that the name means the canonical campaign.
Cores that differ by a typo ("sumer sale 2025") are merged by string similarity
(rapidfuzz), never when their numbers differ (2024 is not 2025).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

PLATFORM_WORDS = frozenset(
    """fb facebook meta ig insta instagram tt tiktok li linkedin google gads adwords bing
    microsoft msft ms yt youtube snap snapchat pinterest twitter ga4""".split()  # noqa: SIM905
)
MARKET_WORDS = frozenset(
    """us usa uk gb de fr es it nl be ch at se no dk fi pl ca au nz ie eu emea apac latam
    nordics dach intl global ww""".split()  # noqa: SIM905
)
TARGETING_WORDS = frozenset(
    """prospecting prosp retargeting remarketing rtg search display video shopping
    pmax""".split()  # noqa: SIM905
)
# Each step: the words it drops, and the confidence left once it has dropped any.
STEPS: tuple[tuple[str, frozenset[str], float], ...] = (
    ("platform", PLATFORM_WORDS, 0.9),
    ("market", MARKET_WORDS, 0.85),
    ("targeting", TARGETING_WORDS, 0.8),
)
SAME_WORDS, SIMILAR_CUTOFF = 0.95, 90.0
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Reduced:
    """A campaign name's core and how sure the reduction is that they mean the same."""

    name: str
    core: str
    confidence: float


def words(name: str) -> list[str]:
    """Lower-case words of a name (letters and digits; everything else separates).

    >>> words("SUMMER-SALE-2024 | FB")
    ['summer', 'sale', '2024', 'fb']
    """
    return _WORD.findall(name.lower())


def reduce_name(name: str) -> Reduced:
    """The core of a campaign name and the confidence that it means that core.

    >>> reduce_name("Summer Sale 2024")
    Reduced(name='Summer Sale 2024', core='summer sale 2024', confidence=0.95)
    >>> reduce_name("SUMMER-SALE-2024 | FB").confidence
    0.9
    >>> reduce_name("Summer_Sale_2025_US_Search")
    Reduced(name='Summer_Sale_2025_US_Search', core='summer sale 2025', confidence=0.8)
    >>> reduce_name("PMax_US").core
    'pmax'
    """
    kept = words(name)
    confidence = SAME_WORDS
    for _, vocabulary, step_confidence in STEPS:
        rest = [w for w in kept if w not in vocabulary]
        if rest and len(rest) < len(kept):
            kept, confidence = rest, step_confidence
    return Reduced(name, " ".join(kept), confidence)


def numbers(text: str) -> tuple[str, ...]:
    """The numbers in a name, which a typo never changes.

    >>> numbers("summer sale 2025 v2")
    ('2025', '2')
    """
    return tuple(_NUMBER.findall(text))


def similar_core(core: str, cores: list[str]) -> tuple[str, float] | None:
    """The most similar of ``cores`` (a typo apart, same numbers), with its score 0..1.

    >>> similar_core("sumer sale 2025", ["summer sale 2025", "summer sale 2024"])
    ('summer sale 2025', 0.97)
    >>> similar_core("summer sale 2023", ["summer sale 2025"]) is None
    True
    """
    own = numbers(core)
    candidates = [c for c in cores if c != core and numbers(c) == own]
    if len(core) < 5 or not candidates:
        return None
    found = process.extractOne(core, candidates, scorer=fuzz.ratio, score_cutoff=SIMILAR_CUTOFF)
    if found is None:
        return None
    return str(found[0]), round(float(found[1]) / 100, 2)


def display_name(core: str, names: list[str]) -> str:
    """How a canonical campaign is written: a member spelled as its core when one is readable
    (spaces or mixed case), else the core's words as members write them.

    >>> display_name("summer sale 2025", ["summer_sale_2025", "Summer Sale 2025"])
    'Summer Sale 2025'
    >>> display_name("summer sale 2025", ["summer_sale_2025", "Summer Sale 2025 | Prospecting"])
    'Summer Sale 2025'
    >>> display_name("pmax", ["PMax_US", "PMax_UK"]), display_name("always on", ["Always-on | FB"])
    ('PMax', 'Always on')
    """
    exact = [n for n in names if " ".join(words(n)) == core]
    best = " ".join(max(exact, key=_readability).split()) if exact else None
    if best and not (best == best.lower() and " " not in best):
        return best
    spelled: dict[str, str] = {}
    for name in names:
        for word in _WORD.findall(name):
            key = word.lower()
            if key in core.split() and spelled.get(key, key) == key:
                spelled[key] = word
    built = " ".join(spelled.get(w, w) for w in core.split())
    # "summer_sale_2025" as typed beats "summer sale 2025" nobody typed.
    return best if best and built == built.lower() else built


def _readability(name: str) -> tuple[bool, bool, bool]:
    stripped = name.strip()
    return (
        " " in stripped,
        stripped != stripped.lower() and stripped != stripped.upper(),
        "_" not in stripped,
    )
