"""Named locks, so that exactly one holder runs a singleton actor or the scheduler at a time.

`Lock` is the interface: acquire with a time-to-live, extend, release, and ask who holds a lock.
`LocalLock` is the lite implementation: a process-wide registry (so two runtimes in one process
compete) backed by an `flock` on a file under `$LEGION_HOME/locks/` (so two processes on the same
home compete too; the kernel drops the file lock when its process dies, so a crash never leaves a
stale lock behind). `RedisLock` (in `locks_redis`) is the full-mode implementation: SET NX PX
with a random token, compare-and-set extend and release, takeover after the TTL. `open_lock`
picks one from the settings.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legion.core.settings.model import Settings


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock, since when, and until when it is valid without an extension."""

    name: str
    holder: str
    acquired_at: float
    expires_at: float | None  # None: until released
    node: str | None = None  # host name of the holder's process, when known
    pid: int | None = None

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or time.time())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "holder": self.holder,
            "acquired_at": self.acquired_at,
            "expires_at": self.expires_at,
            "node": self.node,
            "pid": self.pid,
        }


def default_holder_id() -> str:
    """Host, process and a random suffix: distinct for every `Lock` object, readable in logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lock(ABC):
    """A named, expiring, exclusive lock; one object is one holder."""

    def __init__(self, holder_id: str | None = None) -> None:
        self.holder_id = holder_id or default_holder_id()

    @abstractmethod
    def acquire(self, name: str, ttl: float | None = None) -> bool:
        """Take `name` for `ttl` seconds (None: until released); True if this holder has it now.

        Acquiring a lock this holder already has extends it, so callers may acquire per tick."""

    @abstractmethod
    def extend(self, name: str, ttl: float | None = None) -> bool:
        """Renew a lock this holder has; False if it expired or another holder has it."""

    @abstractmethod
    def release(self, name: str) -> bool:
        """Give the lock up; False if this holder did not have it."""

    @abstractmethod
    def holder(self, name: str) -> LockInfo | None:
        """The current holder of `name`, or None when nobody holds it."""

    @abstractmethod
    def held(self) -> list[str]:
        """Names this holder has right now."""

    def release_all(self) -> None:
        for name in self.held():
            self.release(name)


@dataclass
class _Entry:
    info: LockInfo
    fd: int | None  # the open, flock-ed lock file; None for a memory-only lock


# One registry per process, keyed by lock file path (or name, without a directory): every
# LocalLock in the process sees the same entries, so the file lock is taken once per process.
_REGISTRY: dict[str, _Entry] = {}
_REGISTRY_LOCK = threading.Lock()
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def lock_file_name(name: str) -> str:
    """A file name for any lock name: readable prefix plus a hash so distinct names never clash."""
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', name)[:80]}-{digest}.lock"


class LocalLock(Lock):
    """Lite locks: in-process registry plus `flock` files under `directory` (None: memory only).

    Across processes the kernel decides: a lock lasts until released or its process exits. In a
    process, an expired lock may be taken over by another holder, and the file lock goes with it.
    """

    def __init__(self, directory: Path | None = None, holder_id: str | None = None) -> None:
        super().__init__(holder_id)
        self.directory = directory

    @classmethod
    def for_settings(cls, settings: Settings, holder_id: str | None = None) -> LocalLock:
        return cls(Path(settings.home) / "locks", holder_id)

    # -- interface ----------------------------------------------------------------------------
    def acquire(self, name: str, ttl: float | None = None) -> bool:
        _check_ttl(ttl)
        now = time.time()
        key, path = self._key(name)
        with _REGISTRY_LOCK:
            entry = _REGISTRY.get(key)
            if entry is not None:
                mine = entry.info.holder == self.holder_id
                if not mine and not entry.info.expired(now):
                    return False
                since = entry.info.acquired_at if mine and not entry.info.expired(now) else now
                entry.info = _own_info(name, self.holder_id, since, _expiry(now, ttl))
                _write_info(entry)
                return True
            fd = None
            if path is not None:
                fd = _try_flock(path)
                if fd is None:
                    return False
            entry = _Entry(_own_info(name, self.holder_id, now, _expiry(now, ttl)), fd)
            _REGISTRY[key] = entry
            _write_info(entry)
            return True

    def extend(self, name: str, ttl: float | None = None) -> bool:
        _check_ttl(ttl)
        now = time.time()
        key, _ = self._key(name)
        with _REGISTRY_LOCK:
            entry = _REGISTRY.get(key)
            if entry is None or entry.info.holder != self.holder_id or entry.info.expired(now):
                return False
            entry.info = replace(entry.info, expires_at=_expiry(now, ttl))
            _write_info(entry)
            return True

    def release(self, name: str) -> bool:
        key, _ = self._key(name)
        with _REGISTRY_LOCK:
            entry = _REGISTRY.get(key)
            if entry is None or entry.info.holder != self.holder_id:
                return False
            del _REGISTRY[key]
            if entry.fd is not None:
                _unlock(entry.fd)
            return True

    def holder(self, name: str) -> LockInfo | None:
        key, path = self._key(name)
        with _REGISTRY_LOCK:
            entry = _REGISTRY.get(key)
            if entry is not None:
                return None if entry.info.expired() else entry.info
        if path is None or not path.exists():
            return None
        return _read_foreign(path, name)

    def held(self) -> list[str]:
        now = time.time()
        with _REGISTRY_LOCK:
            return sorted(
                e.info.name
                for e in _REGISTRY.values()
                if e.info.holder == self.holder_id and not e.info.expired(now)
            )

    # -- helpers ------------------------------------------------------------------------------
    def _key(self, name: str) -> tuple[str, Path | None]:
        if not name:
            raise ValueError("a lock needs a name")
        if self.directory is None:
            return f"memory:{name}", None
        path = self.directory / lock_file_name(name)
        return str(path.absolute()), path


def open_lock(settings: Settings, holder_id: str | None = None) -> Lock:
    """The node's lock: `RedisLock` in full mode with `cache.url` set, else `LocalLock` on the home.

    Without Redis, full-mode nodes on different hosts do not see each other's locks."""
    from legion.core.cache.connection import connect, redis_url
    from legion.core.locks_redis import RedisLock

    url = redis_url(settings)
    if url is None:
        return LocalLock.for_settings(settings, holder_id)
    return RedisLock(connect(url), settings.cache.prefix, holder_id)


def _check_ttl(ttl: float | None) -> None:
    if ttl is not None and ttl <= 0:
        raise ValueError(f"a lock's ttl must be > 0 seconds, got {ttl}")


def _expiry(now: float, ttl: float | None) -> float | None:
    return None if ttl is None else now + ttl


def _try_flock(path: Path) -> int | None:
    """Open and exclusively lock `path` without blocking; None if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlock(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _own_info(name: str, holder: str, since: float, expires_at: float | None) -> LockInfo:
    return LockInfo(name, holder, since, expires_at, socket.gethostname(), os.getpid())


def _write_info(entry: _Entry) -> None:
    """Holder info in the file, so another process can say who holds the lock."""
    if entry.fd is None:
        return
    data = json.dumps(entry.info.to_dict()).encode()
    os.ftruncate(entry.fd, 0)
    os.pwrite(entry.fd, data, 0)


def _read_foreign(path: Path, name: str) -> LockInfo | None:
    """Who holds a lock file that this process does not: None if nobody has it locked."""
    fd = _try_flock(path)
    if fd is not None:  # free: nobody holds it
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        return None
    try:
        data = json.loads(path.read_text() or "{}")
        return LockInfo(
            name,
            str(data["holder"]),
            float(data["acquired_at"]),
            None if data.get("expires_at") is None else float(data["expires_at"]),
            None if data.get("node") is None else str(data["node"]),
            None if data.get("pid") is None else int(data["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError):  # being rewritten right now
        return LockInfo(name, "unknown", 0.0, None)
