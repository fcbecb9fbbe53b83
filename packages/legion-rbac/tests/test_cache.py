"""The decision cache: bounded, and never serving or storing a stale generation."""

from __future__ import annotations

import threading

from legion.rbac.cache import DecisionCache
from legion.rbac.engine import Engine


def test_entries_from_an_older_generation_are_neither_stored_nor_served() -> None:
    cache: DecisionCache[str] = DecisionCache()
    old = cache.generation
    cache.put("k", "v", old)
    assert cache.get("k") == "v"
    cache.invalidate()
    assert cache.get("k") is None
    cache.put("k", "late", old)  # computed before the change, finished after it
    assert cache.get("k") is None and len(cache) == 0


def test_oldest_entry_goes_first_when_full() -> None:
    cache: DecisionCache[int] = DecisionCache(max_entries=2)
    for i in range(3):
        cache.put(i, i, cache.generation)
    assert cache.get(0) is None and cache.get(1) == 1 and cache.get(2) == 2
    off: DecisionCache[int] = DecisionCache(max_entries=0)
    off.put("k", 1, off.generation)
    assert off.get("k") is None


def test_checks_racing_with_changes_end_on_the_final_policy() -> None:
    engine = Engine()
    stop = threading.Event()
    errors: list[BaseException] = []

    def checker() -> None:
        try:
            while not stop.is_set():
                engine.check("user:a", "tasks/1", "create")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=checker) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(200):
        engine.assign("user:a", "worker")
        engine.unassign("user:a", "worker")
    engine.assign("user:a", "worker")
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert engine.check("user:a", "tasks/1", "create").allowed
    engine.unassign("user:a")
    assert not engine.check("user:a", "tasks/1", "create").allowed
