"""The last acknowledged sequence number, replaced atomically so a restart resumes right after it.

Write a temporary file, rename it over the old one, then fsync the directory: a reader sees the
old or the new value, never a torn one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from loguru import logger

from legion.core.spool.durable import FILE_MODE, sync_dir, sync_file, write_all

CHECKPOINT_NAME = "checkpoint.json"


def read_checkpoint(path: Path) -> int:
    """The acknowledged seq, 0 when there is none; a damaged file also means 0 (skip nothing)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    try:
        acked = json.loads(raw)["acked"]
    except (ValueError, KeyError, TypeError):
        acked = None
    if type(acked) is not int or acked < 0:
        logger.warning("spool checkpoint {} is unreadable; replaying from the oldest record", path)
        return 0
    return acked


def write_checkpoint(path: Path, acked: int, *, sync: bool) -> None:
    """Replace the checkpoint with `acked`; with `sync`, durable against power loss on return."""
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        write_all(fd, json.dumps({"acked": acked}).encode("ascii"))
        if sync:
            sync_file(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    if sync:
        sync_dir(path.parent)
