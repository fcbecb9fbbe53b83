"""A decision cache in front of casbin, emptied by any policy or assignment change.

Entries carry the policy generation they were computed under, so an entry from before a
change is never served even if it lands in the cache after the change.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class DecisionCache(Generic[V]):
    """Bounded mapping (principal, resource, action) -> decision, keyed to a generation."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[Hashable, tuple[int, V]] = {}
        self.hits = 0
        self.misses = 0

    def invalidate(self) -> int:
        """A policy or assignment changed: start a new generation and drop every entry."""
        self.generation += 1
        self._entries = {}
        return self.generation

    def get(self, key: Hashable) -> V | None:
        """The cached value for the current generation, or None."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == self.generation:
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def put(self, key: Hashable, value: V, generation: int) -> None:
        """Store a value computed under `generation`; stale ones are dropped, not stored."""
        if generation != self.generation or self.max_entries <= 0:
            return
        entries = self._entries
        if len(entries) >= self.max_entries:
            # Oldest first: dicts keep insertion order, so this is FIFO eviction.
            del entries[next(iter(entries))]
        entries[key] = (generation, value)

    def __len__(self) -> int:
        return len(self._entries)
