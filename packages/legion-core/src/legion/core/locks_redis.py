"""Full-mode locks in Redis, so that one node of a cluster runs a singleton actor or the scheduler.

A lock is one key, `<prefix>:lock:<name>`, taken with SET NX PX. Its value is a random token
(new for every acquisition) followed by the holder's info as JSON. Extend and release are Lua
scripts that compare the token first, so a holder whose lock expired and was taken over can
neither extend nor release the new holder's lock. A holder that dies simply stops extending: its
key expires after the TTL and another node takes over.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from typing import Any

import redis

from legion.core.locks import Lock, LockInfo

# KEYS[1] lock key; ARGV[1] "<token> " prefix; ARGV[2] ttl in ms, or "" for no expiry.
_EXTEND = """
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, #ARGV[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""

# KEYS[1] lock key; ARGV[1] "<token> " prefix.
_RELEASE = """
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, #ARGV[1]) ~= ARGV[1] then
  return 0
end
return redis.call('DEL', KEYS[1])
"""


class RedisLock(Lock):
    """Locks shared by every process that uses the same Redis and key prefix.

    One object is one holder: it remembers the token of each lock it took; a second object with
    the same holder id is a different holder."""

    def __init__(
        self, client: redis.Redis, prefix: str = "legion", holder_id: str | None = None
    ) -> None:
        super().__init__(holder_id)
        self.client = client
        self.prefix = prefix
        self._tokens: dict[str, str] = {}
        self._guard = threading.Lock()
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)

    def key(self, name: str) -> str:
        if not name:
            raise ValueError("a lock needs a name")
        return f"{self.prefix}:lock:{name}"

    # -- interface ----------------------------------------------------------------------------
    def acquire(self, name: str, ttl: float | None = None) -> bool:
        px = _ttl_ms(ttl)
        key = self.key(name)
        if self.extend(name, ttl):  # already ours: keep the start, push the expiry
            return True
        token = secrets.token_hex(16)
        info = {
            "holder": self.holder_id,
            "node": socket.gethostname(),
            "pid": os.getpid(),
            "since": time.time(),
        }
        value = f"{token} {json.dumps(info)}"
        if not self.client.set(key, value, nx=True, px=px):
            return False
        with self._guard:
            self._tokens[name] = token
        return True

    def extend(self, name: str, ttl: float | None = None) -> bool:
        px = _ttl_ms(ttl)
        key = self.key(name)
        with self._guard:
            token = self._tokens.get(name)
        if token is None:
            return False
        if self._extend(keys=[key], args=[f"{token} ", "" if px is None else px]) == 1:
            return True
        self._forget(name, token)
        return False

    def release(self, name: str) -> bool:
        key = self.key(name)
        with self._guard:
            token = self._tokens.pop(name, None)
        if token is None:
            return False
        return bool(self._release(keys=[key], args=[f"{token} "]) == 1)

    def holder(self, name: str) -> LockInfo | None:
        key = self.key(name)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            value, pttl = pipe.execute()
        if value is None:
            return None
        now = time.time()
        expires_at = None if pttl is None or pttl < 0 else now + pttl / 1000
        return _parse_info(name, value, expires_at)

    def held(self) -> list[str]:
        with self._guard:
            tokens = dict(self._tokens)
        if not tokens:
            return []
        names = sorted(tokens)
        values = self.client.mget([self.key(n) for n in names])
        mine = []
        for name, value in zip(names, values, strict=True):
            if value is not None and _token_of(value) == tokens[name]:
                mine.append(name)
            else:
                self._forget(name, tokens[name])
        return mine

    def _forget(self, name: str, token: str) -> None:
        """Drop a token that no longer holds its lock (unless a newer acquisition replaced it)."""
        with self._guard:
            if self._tokens.get(name) == token:
                del self._tokens[name]


def _ttl_ms(ttl: float | None) -> int | None:
    if ttl is None:
        return None
    if ttl <= 0:
        raise ValueError(f"a lock's ttl must be > 0 seconds, got {ttl}")
    return max(1, round(ttl * 1000))


def _token_of(value: bytes | str) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    return text.split(" ", 1)[0]


def _parse_info(name: str, value: bytes | str, expires_at: float | None) -> LockInfo:
    text = value.decode() if isinstance(value, bytes) else value
    try:
        data: dict[str, Any] = json.loads(text.split(" ", 1)[1])
        return LockInfo(
            name,
            str(data["holder"]),
            float(data["since"]),
            expires_at,
            None if data.get("node") is None else str(data["node"]),
            None if data.get("pid") is None else int(data["pid"]),
        )
    except (IndexError, ValueError, KeyError, TypeError):  # not written by RedisLock
        return LockInfo(name, "unknown", 0.0, expires_at)
