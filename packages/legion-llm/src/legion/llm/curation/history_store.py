"""Per-conversation curated history kept by the gateway, so that a client re-sending its full
raw history gets the known part replaced by the curated version.

Prefix match: `store` records the number of raw messages and a SHA-256 digest over them (each
message serialised canonically: role, name, and every part with all its fields, in order). `apply`
digests the first that-many incoming messages the same way; when the digests are equal the
incoming history starts with exactly the raw messages that were curated, and those are replaced
by the curated ones, the rest (the new tail) kept as sent. Any difference in the prefix (an edited
or removed message, a changed tool result) means no match, and the messages pass unchanged.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from legion.llm.canonical import Message
from legion.llm.curation.archive import message_to_json


def fingerprint(messages: list[Message]) -> str:
    """SHA-256 over the canonical JSON of each message, length-prefixed so that message
    boundaries count."""
    digest = hashlib.sha256()
    for message in messages:
        encoded = json.dumps(
            message_to_json(message), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


@dataclass(slots=True)
class _Entry:
    raw_length: int
    raw_fingerprint: str
    curated: list[Message]
    touched: float


class HistoryStore:
    """Thread-safe and bounded: at most `max_conversations` (least recently used evicted first),
    each forgotten `ttl_seconds` after it was last stored or applied."""

    def __init__(
        self,
        max_conversations: int = 1000,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_conversations < 1:
            raise ValueError("max_conversations must be >= 1")
        self.max_conversations = max_conversations
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)

    def __contains__(self, conversation_id: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return conversation_id in self._entries

    def store(
        self, conversation_id: str, raw_messages: list[Message], curated: list[Message]
    ) -> None:
        """Remember that `raw_messages` (the history as the client sends it) curate to `curated`."""
        entry = _Entry(len(raw_messages), fingerprint(raw_messages), list(curated), self._clock())
        with self._lock:
            self._entries[conversation_id] = entry
            self._entries.move_to_end(conversation_id)
            self._expire(entry.touched)
            while len(self._entries) > self.max_conversations:
                self._entries.popitem(last=False)

    def apply(self, conversation_id: str, messages: list[Message]) -> list[Message]:
        """The curated prefix plus the new tail when `messages` start with the stored raw
        prefix; otherwise `messages` unchanged."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            entry = self._entries.get(conversation_id)
            if entry is None:
                return messages
            entry.touched = now
            self._entries.move_to_end(conversation_id)
        if len(messages) < entry.raw_length:
            return messages
        if fingerprint(messages[: entry.raw_length]) != entry.raw_fingerprint:
            return messages
        return [*entry.curated, *messages[entry.raw_length :]]

    def forget(self, conversation_id: str) -> None:
        with self._lock:
            self._entries.pop(conversation_id, None)

    def _expire(self, now: float) -> None:
        while self._entries:
            oldest_id, oldest = next(iter(self._entries.items()))
            if now - oldest.touched < self.ttl_seconds:
                break
            del self._entries[oldest_id]
