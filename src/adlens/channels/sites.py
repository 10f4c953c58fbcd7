"""Source categories (search, shopping, social, video) read from the package's data files.

Each ``data/<category>.txt`` lists one site per line. A bare name (``google``) matches
that name as any label of a host followed only by a top-level or country domain, so
``www.google.co.uk``, ``uk.search.yahoo.com`` and ``l.instagram.com`` all match; a name
with a dot (``t.co``) matches itself and its subdomains (``m.t.co``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

Category = Literal["search", "shopping", "social", "video"]
CATEGORIES: tuple[Category, ...] = ("search", "shopping", "social", "video")
# Labels after a site name that still make a site's own domain (".com", ".co.uk", ".com.au").
_SUFFIX_WORDS = frozenset({"info", "online", "app", "site", "store", "shop", "tech"})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


@dataclass(frozen=True)
class SiteList:
    """The sites of one category: bare names and dotted domains."""

    names: frozenset[str]
    domains: frozenset[str]

    def matches(self, source: str) -> bool:
        """Whether a normalised source (see :func:`normalize_source`) is one of these sites."""
        if source in self.names or source in self.domains:
            return True
        labels = source.split(".")
        for start in range(1, len(labels)):
            if ".".join(labels[start:]) in self.domains:
                return True
        for index, label in enumerate(labels[:-1]):
            if label in self.names and all(_is_suffix(rest) for rest in labels[index + 1 :]):
                return True
        return False


def _is_suffix(label: str) -> bool:
    return len(label) <= 3 or label in _SUFFIX_WORDS


def normalize_source(source: str | None) -> str:
    """A source as the site lists compare it: lower case, no scheme, path, port or ``www.``.

    >>> normalize_source(" https://WWW.Google.co.uk/search?q=x ")
    'google.co.uk'
    >>> normalize_source(None)
    ''
    """
    text = (source or "").strip().lower()
    text = _SCHEME.sub("", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0] if "." in text else text
    return text.removeprefix("www.")


@cache
def site_list(category: Category) -> SiteList:
    """The sites of ``category``, read once from ``data/<category>.txt``."""
    text = files("adlens.channels").joinpath("data", f"{category}.txt").read_text("utf-8")
    entries = [line.strip().lower() for line in text.splitlines()]
    entries = [e for e in entries if e and not e.startswith("#")]
    return SiteList(
        names=frozenset(e for e in entries if "." not in e),
        domains=frozenset(e for e in entries if "." in e),
    )


def categories(source: str | None) -> frozenset[Category]:
    """Every category the source belongs to (usually none or one).

    >>> sorted(categories("m.facebook.com")), sorted(categories("uk.search.yahoo.com"))
    (['social'], ['search'])
    """
    normalized = normalize_source(source)
    if not normalized:
        return frozenset()
    return frozenset(c for c in CATEGORIES if site_list(c).matches(normalized))
