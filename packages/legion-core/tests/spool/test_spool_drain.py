"""The background drain the transport starts, and the progress reporting of a replay."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from rich.console import Console

from legion.core.spool import BackgroundDrain, Spool, SpoolMessage, SpoolRecord, replay_progress

WAIT = 10.0  # a ceiling against hanging, never a measure of speed


def fill(spool: Spool, count: int) -> None:
    for n in range(count):
        spool.append(SpoolMessage("ex", "rk", str(n).encode()))


class Broker:
    """A fake broker: accepts records while up, refuses while down, signals after `expect`."""

    def __init__(self, expect: int) -> None:
        self.up = threading.Event()
        self.received: list[int] = []
        self.refused = 0
        self.expect = expect
        self.done = threading.Event()
        self.refused_thrice = threading.Event()

    def publish(self, record: SpoolRecord) -> None:
        if not self.up.is_set():
            self.refused += 1
            if self.refused >= 3:
                self.refused_thrice.set()
            raise ConnectionError("down")
        self.received.append(record.seq)
        if len(self.received) >= self.expect:
            self.done.set()


def test_the_drain_waits_for_the_connection_then_empties_the_spool(spool_path: Path) -> None:
    broker = Broker(expect=50)
    with Spool(spool_path, max_file_bytes=500, fsync="never") as spool:
        fill(spool, 30)
        drain = spool.drain_in_background(broker.publish, broker.up.is_set, poll_interval=0.01)
        try:
            fill(spool, 20)
            assert spool.pending == 50 and broker.received == []
            broker.up.set()
            drain.wake()
            assert broker.done.wait(WAIT)
        finally:
            assert drain.stop(WAIT)
        assert broker.received == list(range(1, 51))
        assert broker.refused == 0  # never tried while disconnected
        assert spool.pending == 0 and drain.delivered == 50


def test_publish_failures_back_off_and_retry_from_the_failed_record(spool_path: Path) -> None:
    broker = Broker(expect=10)
    with Spool(spool_path, fsync="never") as spool:
        fill(spool, 10)
        # is_connected says yes while the broker still refuses: the drain must retry, not skip.
        drain = spool.drain_in_background(
            broker.publish, lambda: True, backoff=0.01, max_backoff=0.02, poll_interval=0.01
        )
        try:
            assert broker.refused_thrice.wait(WAIT)
            assert drain.running
            broker.up.set()
            drain.wake()
            assert broker.done.wait(WAIT)
        finally:
            assert drain.stop(WAIT)
        assert broker.received == list(range(1, 11))
        assert broker.refused >= 3 and drain.failures >= 3
        assert drain.last_result is not None and drain.last_result.error is None


def test_stop_ends_the_thread_after_the_record_in_flight(spool_path: Path) -> None:
    with Spool(spool_path, fsync="never") as spool:
        fill(spool, 20)
        sent: list[int] = []
        drains: list[BackgroundDrain] = []

        asked = threading.Event()

        def publish(record: SpoolRecord) -> None:
            sent.append(record.seq)
            assert drains[0].stop() is False  # on its own thread: asks, cannot wait
            asked.set()

        drain = BackgroundDrain(spool, publish, lambda: True, poll_interval=0.01, batch=1)
        drains.append(drain)
        drain.start()
        assert asked.wait(WAIT)
        assert drain.stop(WAIT)
        assert not drain.running
        assert sent == [1]  # the record in flight completed; no further pass started
        assert spool.pending == 19


def test_an_is_connected_that_raises_counts_as_offline(spool_path: Path) -> None:
    asked = threading.Event()

    def is_connected() -> bool:
        asked.set()
        raise RuntimeError("connection object not ready")

    with Spool(spool_path, fsync="never") as spool:
        fill(spool, 2)
        drain = spool.drain_in_background(lambda r: None, is_connected, poll_interval=0.01)
        assert asked.wait(WAIT)
        assert drain.running
        assert drain.stop(WAIT)
        assert spool.pending == 2


def test_the_progress_callback_sees_every_record(spool_path: Path) -> None:
    with Spool(spool_path, fsync="never") as spool:
        fill(spool, 5)
        seen: list[tuple[int, int]] = []
        spool.replay(lambda r: None, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_a_bar_is_drawn_only_for_large_replays(spool_path: Path) -> None:
    with replay_progress(10) as progress:
        assert progress is None
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with Spool(spool_path, fsync="never") as spool:
        fill(spool, 30)
        with replay_progress(spool.pending, threshold=20, console=console) as progress:
            assert progress is not None
            assert spool.replay(lambda r: None, progress=progress).complete
    assert "30/30" in out.getvalue()
