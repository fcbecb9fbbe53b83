"""Crash safety: torn writes, damaged lines, and processes killed while appending or replaying."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from legion.core.spool import Spool, SpoolMessage, SpoolRecord


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(f"{m.record['level'].name} {m}"), level="WARNING")
    yield lines
    logger.remove(sink)


def message(n: int) -> SpoolMessage:
    return SpoolMessage("ex", "rk", f"body-{n}".encode(), {"n": n})


def delivered(spool: Spool) -> list[int]:
    got: list[SpoolRecord] = []
    assert spool.replay(got.append).error is None
    return [r.seq for r in got]


def only_segment(directory: Path) -> Path:
    (path,) = directory.glob("seg-*.jsonl")
    return path


def test_a_torn_last_line_is_ignored_with_a_warning_and_cut_off(
    spool_path: Path, logs: list[str]
) -> None:
    with Spool(spool_path) as spool:
        for n in range(5):
            spool.append(message(n))
    segment = only_segment(spool_path)
    data = segment.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    segment.write_bytes(data[: last_start + (len(data) - last_start) // 2])

    with Spool(spool_path) as spool:
        assert any("WARNING" in line and "torn last line" in line for line in logs)
        assert segment.stat().st_size == last_start
        assert spool.stats().pending == 4
        assert spool.append(message(99)) == 5  # follows the intact lines, on a line of its own
        got: list[SpoolRecord] = []
        assert spool.replay(got.append).complete
    assert [r.seq for r in got] == [1, 2, 3, 4, 5]
    assert [r.headers["n"] for r in got] == [0, 1, 2, 3, 99]


def test_a_segment_holding_only_a_torn_line_is_removed(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        spool.append(message(1))
    segment = only_segment(spool_path)
    segment.write_bytes(segment.read_bytes()[:20])
    with Spool(spool_path) as spool:
        assert spool.stats().segments == 0
        assert spool.append(message(2)) == 1
        assert delivered(spool) == [1]


def test_a_torn_line_in_an_older_segment_is_skipped_and_the_rest_delivered(
    spool_path: Path, logs: list[str]
) -> None:
    with Spool(spool_path, max_file_bytes=200, fsync="never") as spool:
        for n in range(6):
            spool.append(message(n))
    first = sorted(spool_path.glob("seg-*.jsonl"))[0]
    data = first.read_bytes()
    first.write_bytes(data[:-7])  # as if the power went before the page was written
    with Spool(spool_path, max_file_bytes=200) as spool:
        before = spool.stats().pending
        result = spool.replay(lambda record: None)
        assert (result.delivered, result.skipped, result.remaining) == (before, 1, 0)
    assert before == 5
    assert any("torn last line" in line for line in logs)


def test_a_damaged_line_in_the_middle_is_skipped_loudly_not_fatal(
    spool_path: Path, logs: list[str]
) -> None:
    with Spool(spool_path) as spool:
        for n in range(3):
            spool.append(message(n))
    segment = only_segment(spool_path)
    data = segment.read_bytes()
    assert data.count(b"Ym9keS0x") == 1  # base64 of b"body-1"
    segment.write_bytes(data.replace(b"Ym9keS0x", b"Ym9keS0y"))  # a flipped bit, CRC now wrong
    with Spool(spool_path) as spool:
        assert any("ERROR" in line and "damaged line" in line for line in logs)
        got: list[SpoolRecord] = []
        result = spool.replay(got.append)
    assert [r.seq for r in got] == [1, 3]
    assert result.skipped == 1 and result.remaining == 0


def test_a_damaged_checkpoint_replays_everything_rather_than_skip(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        for n in range(4):
            spool.append(message(n))
        spool.replay(lambda record: None, limit=2)
    (spool_path / "checkpoint.json").write_text('{"ack')
    (spool_path / "checkpoint.json.tmp").write_text("left by a crash")
    with Spool(spool_path) as spool:
        assert delivered(spool) == [1, 2, 3, 4]
    assert not (spool_path / "checkpoint.json.tmp").exists()


APPENDER = """
import sys
from pathlib import Path
from legion.core.spool import Spool, SpoolMessage
spool = Spool(Path(sys.argv[1]), max_file_bytes=64 * 1024, fsync=sys.argv[2])
body = bytes(range(256)) * 16
n = 0
while True:
    n += 1
    seq = spool.append(SpoolMessage("ex", "rk", body, {"n": n}))
    print(seq, flush=True)
"""


@pytest.mark.parametrize("policy", ["always", "never"])
def test_every_acknowledged_append_survives_sigkill(spool_path: Path, policy: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(spool_path), policy],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acknowledged: list[int] = []
    try:
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) == 300:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert acknowledged == list(range(1, 301))
    with Spool(spool_path) as spool:
        got: list[SpoolRecord] = []
        result = spool.replay(got.append)
    seqs = [r.seq for r in got]
    assert result.complete
    assert seqs == list(range(1, len(seqs) + 1))  # in order, no gaps
    assert set(acknowledged) <= set(seqs)
    assert all(r.body == bytes(range(256)) * 16 and r.headers == {"n": r.seq} for r in got)


REPLAYER = """
import os, signal, sys
from pathlib import Path
from legion.core.spool import Spool

def publish(record):
    print(record.seq, flush=True)
    if record.seq == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # dies before publish returns

Spool(Path(sys.argv[1]), max_file_bytes=300).replay(publish)
"""


def test_a_crash_during_publish_sends_that_record_again_and_skips_none(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=300) as spool:
        for n in range(10):
            spool.append(message(n))
    child = subprocess.run(
        [sys.executable, "-c", REPLAYER, str(spool_path), "6"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL
    assert child.stdout.split() == ["1", "2", "3", "4", "5", "6"]
    with Spool(spool_path, max_file_bytes=300) as spool:
        assert delivered(spool) == [6, 7, 8, 9, 10]


def test_a_segment_left_behind_after_its_checkpoint_is_not_sent_again(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=200) as spool:
        for n in range(6):
            spool.append(message(n))
        first = sorted(spool_path.glob("seg-*.jsonl"))[0]
        kept = first.read_bytes()
        assert spool.replay(lambda record: None).complete
    first.write_bytes(kept)  # as if the crash came between the checkpoint and the unlink
    os.chmod(first, 0o600)
    with Spool(spool_path, max_file_bytes=200) as spool:
        assert delivered(spool) == []
        assert list(spool_path.glob("seg-*.jsonl")) == []
        assert spool.append(message(7)) == 7
