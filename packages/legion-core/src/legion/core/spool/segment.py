"""Segment files: append-only JSONL named by their first seq, read back line by line.

A line counts only when it ends in a newline and decodes with a matching CRC; the bytes after the
last newline are a torn write from a crash, reported as such rather than raised.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from legion.core.spool.durable import FILE_MODE, sync_file, write_all
from legion.core.spool.record import BadLine, SpoolRecord, decode_line

_NAME = re.compile(r"^seg-(\d{20})\.jsonl$")
READ_CHUNK = 1 << 20


def segment_name(first_seq: int) -> str:
    """Zero-padded so that name order is seq order."""
    return f"seg-{first_seq:020d}.jsonl"


def segment_first_seq(path: Path) -> int | None:
    """The seq a segment file starts at, or None if `path` is not a segment."""
    match = _NAME.match(path.name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Entry:
    """One line of a segment: the record, or why it is not one. Offsets are byte positions."""

    start: int
    end: int  # just past the newline (for a torn tail: the end of the file)
    record: SpoolRecord | None
    problem: str | None = None
    torn: bool = False  # the bytes after the last newline: a write cut short


def scan(path: Path, start: int = 0, stop: int | None = None) -> Generator[Entry, None, None]:
    """The entries of `path` between byte offsets `start` and `stop` (None: end of file)."""
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = None if stop is None else stop - start
        buffer = bytearray()
        offset = start  # file offset of buffer[0]
        search_from = 0
        while remaining is None or remaining > 0:
            data = handle.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            buffer.extend(data)
            line_start = 0
            while (newline := buffer.find(b"\n", search_from)) != -1:
                yield _entry(bytes(buffer[line_start:newline]), offset + line_start)
                line_start = search_from = newline + 1
            del buffer[:line_start]
            offset += line_start
            search_from = len(buffer)
        if buffer:
            yield Entry(offset, offset + len(buffer), None, "torn write: no newline", torn=True)


def _entry(raw: bytes, start: int) -> Entry:
    end = start + len(raw) + 1
    try:
        return Entry(start, end, decode_line(raw))
    except BadLine as exc:
        return Entry(start, end, None, str(exc))


class SegmentWriter:
    """The open, active segment; an append either lands whole or is rolled back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(path, flags, FILE_MODE)
        self.size = 0

    def append(self, line: bytes) -> None:
        try:
            write_all(self._fd, line)
        except BaseException:
            self.truncate(self.size)
            raise
        self.size += len(line)

    def truncate(self, size: int) -> None:
        """Cut the file back to `size` bytes (undo a write that failed or was not made durable)."""
        os.ftruncate(self._fd, size)
        self.size = size

    def sync(self) -> None:
        sync_file(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
