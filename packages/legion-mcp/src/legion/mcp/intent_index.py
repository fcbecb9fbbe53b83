"""A small BM25 index over tool names, addresses and docstrings: tier 0 of `legion do`.

No model and no download: tokens are lower-cased words with light suffix stemming, and the
address words weigh three times the docstring's, since an agent names what it wants to run.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about which function is meant.
_STOP = (
    "a an the and or of to for in on at by with from into is are be this that it its my me i "
    "you your we our please can could would should will some any all each every what which "
    "how now then just"
)
STOPWORDS = frozenset(_STOP.split(" "))
# Verbs that say "do it" rather than what to do; dropped from queries only.
COMMAND_WORDS = frozenset(("run", "execute", "call", "invoke", "do", "perform", "trigger", "make"))
ADDRESS_WEIGHT = 3


def stem(word: str) -> str:
    """Light English suffix stripping, so `schedules`, `scheduled` and `schedule` meet."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and (word[-3] in "sxz" or word[-4:-2] in ("ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def tokenize(text: str, *, query: bool = False) -> list[str]:
    """Words of `text`, stop words removed and stemmed; queries also drop command verbs."""
    drop = STOPWORDS | COMMAND_WORDS if query else STOPWORDS
    return [stem(w) for w in WORD.findall(text.lower()) if w not in drop]


@dataclass(frozen=True)
class Document:
    """One indexed tool: its name and the text it is found by."""

    name: str
    address_text: str
    body: str

    def terms(self) -> list[str]:
        return tokenize(self.address_text) * ADDRESS_WEIGHT + tokenize(self.body)


@dataclass(frozen=True)
class Hit:
    name: str
    score: float
    coverage: float  # the share of the query's terms this document contains


@dataclass
class IntentIndex:
    """BM25 (k1=1.2, b=0.75) over the documents given at construction."""

    documents: list[Document]
    k1: float = 1.2
    b: float = 0.75
    _tf: list[Counter[str]] = field(default_factory=list, repr=False)
    _df: Counter[str] = field(default_factory=Counter, repr=False)
    _avg_len: float = 0.0

    def __post_init__(self) -> None:
        self._tf = [Counter(doc.terms()) for doc in self.documents]
        for tf in self._tf:
            self._df.update(tf.keys())
        total = sum(sum(tf.values()) for tf in self._tf)
        self._avg_len = total / len(self._tf) if self._tf else 0.0

    def idf(self, term: str) -> float:
        n, df = len(self.documents), self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, text: str, limit: int = 5) -> list[Hit]:
        """The best `limit` documents for `text`, best first; documents scoring 0 are left out."""
        terms = list(dict.fromkeys(tokenize(text, query=True)))
        if not terms:
            return []
        hits = []
        for doc, tf in zip(self.documents, self._tf, strict=True):
            length = sum(tf.values())
            score = 0.0
            for term in terms:
                freq = tf.get(term, 0)
                if freq:
                    norm = self.k1 * (1 - self.b + self.b * length / (self._avg_len or 1))
                    score += self.idf(term) * freq * (self.k1 + 1) / (freq + norm)
            if score > 0:
                covered = sum(1 for t in terms if t in tf) / len(terms)
                hits.append(Hit(doc.name, round(score, 4), round(covered, 3)))
        hits.sort(key=lambda h: (-h.score, h.name))
        return hits[:limit]


def build_index(documents: Iterable[Document]) -> IntentIndex:
    return IntentIndex(list(documents))
