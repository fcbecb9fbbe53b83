"""The spool: a durable, ordered outbox of broker messages, replayed oldest first on reconnect.

Records are appended to segment files under one directory (owner-only; messages may hold
secrets). `replay` hands them to `publish` in seq order and counts a record as delivered only
once `publish` has returned, recording that in an atomically replaced checkpoint; a crash at any
point therefore repeats a record, never skips one (at-least-once). Segments whose records are all
delivered are deleted. One `Spool` object per directory: an `flock` keeps other processes out.

Durability of appends follows `fsync`: "always" (the default) fsyncs before `append` returns, as
a caller that was promised durability needs; "batch" every `fsync_batch` appends, on rotation and
on `sync`/`close`; "never" leaves it to the OS. A killed process loses no returned append under
any policy (each record is written with one write to the kernel); a power loss can lose the
unsynced ones. The checkpoint is rewritten after every delivered record and fsynced with the same
policy, so after a power loss "batch" and "never" may send some records again, never fewer.

When the spool holds `max_total_bytes`, `append` raises `SpoolFull` and stores nothing: the
caller decides whether to wait for a replay, fail its publish or drop the message itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from loguru import logger

from legion.core.spool.checkpoint import CHECKPOINT_NAME, read_checkpoint, write_checkpoint
from legion.core.spool.drain import BackgroundDrain
from legion.core.spool.durable import FILE_MODE, make_private_dir, sync_dir, sync_file
from legion.core.spool.errors import SpoolBusy, SpoolClosed, SpoolFull
from legion.core.spool.record import SpoolMessage, check_message, encode_line
from legion.core.spool.replay import Progress, Publish, ReplayResult
from legion.core.spool.segment import Entry, SegmentWriter, scan, segment_first_seq, segment_name

FsyncPolicy = Literal["always", "batch", "never"]
FSYNC_POLICIES: tuple[FsyncPolicy, ...] = ("always", "batch", "never")
LOCK_NAME = ".lock"


@dataclass
class _Segment:
    path: Path
    first_seq: int
    size: int  # bytes on disk
    last_seq: int  # seq of its last intact record; first_seq - 1 while it has none


@dataclass
class _Pass:
    """The state of one `replay` call."""

    publish: Publish
    progress: Progress | None
    limit: int | None
    total: int  # pending when the pass began, for progress
    delivered: int = 0
    skipped: int = 0
    moved: bool = False  # the last snapshot found something: a record, a bad line, a segment
    error: Exception | None = None


@dataclass(frozen=True)
class SpoolStats:
    """A snapshot: records not yet delivered, bytes and segment files on disk, oldest age (s)."""

    pending: int
    bytes: int
    segments: int
    oldest_age: float | None  # None when nothing is pending
    acked: int  # seq of the last delivered record
    next_seq: int


class Spool:
    """A durable outbox in `directory`; thread-safe for any number of producers and one replayer."""

    def __init__(
        self,
        directory: Path,
        *,
        max_file_bytes: int = 16 << 20,
        max_total_bytes: int = 1 << 30,
        fsync: FsyncPolicy = "always",
        fsync_batch: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_file_bytes < 1 or max_total_bytes < 1 or fsync_batch < 1:
            raise ValueError("spool sizes and fsync_batch must be positive")
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"spool fsync must be one of {FSYNC_POLICIES}, not {fsync!r}")
        self.directory = Path(directory)
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.fsync: FsyncPolicy = fsync
        self.fsync_batch = fsync_batch
        self._clock = clock
        self._lock = threading.Lock()  # segments, counters, the active writer
        self._replay_lock = threading.Lock()  # one replay at a time; guards the checkpoint
        self._closed = False
        self._writer: SegmentWriter | None = None
        self._unsynced_appends = 0
        self._unsynced_acks = 0
        self._head: tuple[Path, int] | None = None  # where the first undelivered line starts
        make_private_dir(self.directory)
        self._lock_fd = self._take_directory_lock()
        try:
            self._recover()
        except BaseException:
            os.close(self._lock_fd)
            raise

    # -- opening ---------------------------------------------------------------------------

    def _take_directory_lock(self) -> int:
        path = self.directory / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolBusy(
                f"spool {self.directory} is already open",
                hint="one process (and one Spool object) per spool directory",
            ) from None
        return fd

    def _recover(self) -> None:
        """Rebuild the counters from disk; cut off a torn last line so appends follow whole ones."""
        self._checkpoint = self.directory / CHECKPOINT_NAME
        self._checkpoint.with_name(CHECKPOINT_NAME + ".tmp").unlink(missing_ok=True)
        self._acked = read_checkpoint(self._checkpoint)
        self._segments: list[_Segment] = []
        self._pending = 0
        self._bytes = 0
        found = sorted(
            (first, path)
            for path in self.directory.iterdir()
            if (first := segment_first_seq(path)) is not None
        )
        last_seq = 0
        for index, (first, path) in enumerate(found):
            segment = _Segment(path, first, 0, first - 1)
            torn: Entry | None = None
            for entry in scan(path):
                if entry.record is None:
                    if entry.torn:
                        torn = entry
                    else:
                        logger.error(
                            "spool {}: damaged line at byte {} ({}); it will be skipped",
                            path,
                            entry.start,
                            entry.problem,
                        )
                    continue
                segment.last_seq = last_seq = entry.record.seq
                if entry.record.seq > self._acked:
                    self._pending += 1
            segment.size = path.stat().st_size
            if torn is not None:
                logger.warning(
                    "spool {}: ignoring a torn last line at byte {} ({} bytes, from an interrupted"
                    " write); the records before it are intact",
                    path,
                    torn.start,
                    torn.end - torn.start,
                )
                if index == len(found) - 1:
                    self._truncate(path, torn.start)
                    segment.size = torn.start
            if segment.size == 0:
                path.unlink()
                continue
            self._segments.append(segment)
            self._bytes += segment.size
        self._next_seq = max(last_seq, self._acked) + 1

    def _truncate(self, path: Path, size: int) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            if self.fsync != "never":
                sync_file(fd)
        finally:
            os.close(fd)

    # -- appending -------------------------------------------------------------------------

    def append(self, message: SpoolMessage) -> int:
        """Store `message` after every earlier one; returns its seq. Raises `SpoolFull` when full.

        With fsync "always" the record is on disk when this returns."""
        body_b64 = check_message(message)
        with self._lock:
            self._check_open()
            seq = self._next_seq
            line = encode_line(seq, self._clock(), message, body_b64)
            if self._bytes + len(line) > self.max_total_bytes:
                raise SpoolFull(
                    f"spool {self.directory} is full ({self._bytes} of {self.max_total_bytes}"
                    f" bytes, record of {len(line)}); the record was not stored",
                    hint="replay the spool, or raise spool.max_total_bytes",
                    details={"bytes": self._bytes, "max_total_bytes": self.max_total_bytes},
                )
            segment, writer = self._active_segment(seq, len(line))
            before = writer.size
            writer.append(line)
            try:
                self._sync_append(writer)
            except BaseException:
                writer.truncate(before)
                raise
            segment.size = writer.size
            segment.last_seq = seq
            self._next_seq = seq + 1
            self._bytes += len(line)
            self._pending += 1
            return seq

    def _active_segment(self, seq: int, size: int) -> tuple[_Segment, SegmentWriter]:
        writer = self._writer
        if writer is not None and writer.size > 0 and writer.size + size > self.max_file_bytes:
            if self.fsync != "never":
                writer.sync()
            writer.close()
            self._writer = writer = None
            self._unsynced_appends = 0
        if writer is None:
            path = self.directory / segment_name(seq)
            self._writer = writer = SegmentWriter(path)
            if self.fsync != "never":
                sync_dir(self.directory)
            self._segments.append(_Segment(path, seq, 0, seq - 1))
        return self._segments[-1], writer

    def _sync_append(self, writer: SegmentWriter) -> None:
        if self.fsync == "always":
            writer.sync()
        elif self.fsync == "batch":
            self._unsynced_appends += 1
            if self._unsynced_appends >= self.fsync_batch:
                writer.sync()
                self._unsynced_appends = 0

    def sync(self) -> None:
        """Make every appended record durable now, whatever the fsync policy."""
        with self._lock:
            self._check_open()
            if self._writer is not None:
                self._writer.sync()
            self._unsynced_appends = 0

    # -- replaying -------------------------------------------------------------------------

    def replay(
        self, publish: Publish, *, progress: Progress | None = None, limit: int | None = None
    ) -> ReplayResult:
        """Send pending records to `publish`, oldest first, until none are left (or `limit`).

        A record counts as delivered when `publish` returns. If it raises, the pass stops there
        and returns the error in the result; that record and all later ones stay spooled.
        Records appended during the pass are sent in the same pass, after the earlier ones.
        """
        with self._replay_lock:
            with self._lock:
                self._check_open()
                run = _Pass(publish, progress, limit, total=self._pending)
            try:
                while self._replay_snapshot(run):
                    if self.pending == 0:
                        break
                    if not run.moved:
                        logger.error(
                            "spool {}: {} records counted as pending but none could be read",
                            self.directory,
                            self.pending,
                        )
                        break
            finally:
                self._make_checkpoint_durable()
            with self._lock:
                return ReplayResult(run.delivered, run.skipped, self._pending, run.error)

    def _replay_snapshot(self, run: _Pass) -> bool:
        """Send what the segments held when this was called; False when the pass must end."""
        with self._lock:
            snapshot = [(segment, segment.size) for segment in self._segments]
            head = self._head
        run.moved = False
        for segment, end in snapshot:
            start = head[1] if head is not None and head[0] == segment.path else 0
            if not self._replay_segment(run, segment, start, end):
                return False
            run.moved = True  # deleted, or grew since the snapshot and is worth a new one
            if not self._retire(segment, end):
                break
        return True

    def _replay_segment(self, run: _Pass, segment: _Segment, start: int, end: int) -> bool:
        """Send one segment's undelivered records in `[start, end)`; False when the pass ends."""
        with contextlib.closing(scan(segment.path, start, end)) as entries:
            for entry in entries:
                record = entry.record
                if record is None or record.seq <= self._acked:
                    if record is None:
                        run.skipped += 1
                        run.moved = True
                        logger.warning(
                            "spool {}: discarding an unreadable line at byte {} ({})",
                            segment.path,
                            entry.start,
                            entry.problem,
                        )
                    self._advance(segment, entry.end)
                    continue
                if run.limit is not None and run.delivered >= run.limit:
                    return False
                if self._closed:
                    run.error = SpoolClosed(f"spool {self.directory} was closed during a replay")
                    return False
                try:
                    run.publish(record)
                except Exception as exc:
                    logger.warning(
                        "spool {}: publishing seq {} failed ({}); kept for the next replay",
                        self.directory,
                        record.seq,
                        exc,
                    )
                    run.error = exc
                    return False
                self._ack(segment, entry)
                run.delivered += 1
                run.moved = True
                if run.progress is not None:
                    pending = self.pending
                    run.progress(run.delivered, max(run.total, run.delivered + pending))
        return True

    def _advance(self, segment: _Segment, end: int) -> None:
        with self._lock:
            self._head = (segment.path, end)

    def _ack(self, segment: _Segment, entry: Entry) -> None:
        """`publish` returned for this record: checkpoint it, then count it as gone."""
        assert entry.record is not None
        seq = entry.record.seq
        durable = self.fsync == "always"
        if self.fsync == "batch":
            self._unsynced_acks += 1
            durable = self._unsynced_acks >= self.fsync_batch
        write_checkpoint(self._checkpoint, seq, sync=durable)
        if durable:
            self._unsynced_acks = 0
        with self._lock:
            self._acked = seq
            self._pending -= 1
            self._head = (segment.path, entry.end)

    def _make_checkpoint_durable(self) -> None:
        if self._unsynced_acks:
            write_checkpoint(self._checkpoint, self._acked, sync=True)
            self._unsynced_acks = 0

    def _retire(self, segment: _Segment, end: int) -> bool:
        """Delete a segment read to its end with every record delivered; False if it grew."""
        with self._lock:
            if segment.size != end:
                return False
            self._make_checkpoint_durable()  # never delete records the checkpoint may forget
            if self._writer is not None and self._writer.path == segment.path:
                self._writer.close()
                self._writer = None
                self._unsynced_appends = 0
            segment.path.unlink(missing_ok=True)
            if self.fsync != "never":
                sync_dir(self.directory)
            self._segments.remove(segment)
            self._bytes -= segment.size
            if self._head is not None and self._head[0] == segment.path:
                self._head = None
            return True

    def drain_in_background(
        self,
        publish: Publish,
        is_connected: Callable[[], bool],
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        poll_interval: float = 1.0,
        batch: int = 1000,
    ) -> BackgroundDrain:
        """Start a thread that replays whenever `is_connected()` is true and records are pending.

        A failed pass waits `backoff` seconds, doubling up to `max_backoff`; `wake()` on the
        returned object (on reconnect) skips the wait, `stop()` ends the thread."""
        drain = BackgroundDrain(
            self,
            publish,
            is_connected,
            backoff=backoff,
            max_backoff=max_backoff,
            poll_interval=poll_interval,
            batch=batch,
        )
        drain.start()
        return drain

    # -- looking at it ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records appended and not yet delivered."""
        with self._lock:
            return self._pending

    def stats(self) -> SpoolStats:
        with self._lock:
            self._check_open()
            oldest = self._oldest_pending_at()
            return SpoolStats(
                pending=self._pending,
                bytes=self._bytes,
                segments=len(self._segments),
                oldest_age=None if oldest is None else max(0.0, self._clock() - oldest),
                acked=self._acked,
                next_seq=self._next_seq,
            )

    def _oldest_pending_at(self) -> float | None:
        if self._pending == 0:
            return None
        for segment in self._segments:
            head = self._head
            start = head[1] if head is not None and head[0] == segment.path else 0
            with contextlib.closing(scan(segment.path, start, segment.size)) as entries:
                for entry in entries:
                    if entry.record is not None and entry.record.seq > self._acked:
                        return entry.record.at
        return None

    # -- closing ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise SpoolClosed(f"spool {self.directory} is closed")

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Sync what was appended and release the directory; waits for a running replay's
        current record. Stop a background drain first."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with self._replay_lock, self._lock:
            try:
                if self._writer is not None:
                    if self.fsync != "never":
                        self._writer.sync()
                    self._writer.close()
                    self._writer = None
                self._make_checkpoint_durable()
            finally:
                os.close(self._lock_fd)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
