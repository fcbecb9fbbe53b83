"""Property: whatever mix of appends, failing replays, torn writes and reopenings happens, every
acknowledged append is delivered, in order, at least once, and no pass sends a record twice."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from legion.core.spool import Spool, SpoolFull, SpoolMessage, SpoolRecord
from legion.core.spool.spool import FsyncPolicy


class PublishFailed(Exception):
    pass


def spool_machine(root: Path) -> type[RuleBasedStateMachine]:
    runs = itertools.count()

    class SpoolMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.directory = root / f"run-{next(runs)}"
            self.appended: list[tuple[int, bytes]] = []  # (seq, body) of acknowledged appends
            self.delivered: list[tuple[int, bytes]] = []  # records whose publish returned
            self.counter = 0
            self.spool: Spool | None = None

        @initialize(
            fsync=st.sampled_from(["never", "batch", "always"]),
            max_file_bytes=st.integers(min_value=150, max_value=1200),
            max_total_bytes=st.sampled_from([1500, 4000, 1 << 30]),
        )
        def open(self, fsync: FsyncPolicy, max_file_bytes: int, max_total_bytes: int) -> None:
            self.options = {
                "fsync": fsync,
                "fsync_batch": 3,
                "max_file_bytes": max_file_bytes,
                "max_total_bytes": max_total_bytes,
            }
            self.spool = Spool(self.directory, **self.options)  # type: ignore[arg-type]

        @property
        def open_spool(self) -> Spool:
            assert self.spool is not None
            return self.spool

        @rule(sizes=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=6))
        def append(self, sizes: list[int]) -> None:
            for size in sizes:
                self.counter += 1
                body = self.counter.to_bytes(4, "big") * (size // 4 + 1)
                try:
                    seq = self.open_spool.append(SpoolMessage("ex", "rk", body, {"c": 1}))
                except SpoolFull:
                    continue
                expected = self.appended[-1][0] + 1 if self.appended else seq
                assert seq == expected and seq > (self.delivered or [(0, b"")])[-1][0]
                self.appended.append((seq, body))

        @rule(
            fail_after=st.none() | st.integers(min_value=0, max_value=8),
            limit=st.none() | st.integers(min_value=0, max_value=8),
            produce=st.lists(st.integers(min_value=0, max_value=120), max_size=4),
        )
        def replay(self, fail_after: int | None, limit: int | None, produce: list[int]) -> None:
            """Publish may fail after some records; a producer may append while it runs."""
            calls: list[int] = []

            def publish(record: SpoolRecord) -> None:
                calls.append(record.seq)
                if len(calls) <= len(produce):
                    self.append([produce[len(calls) - 1]])
                if fail_after is not None and len(calls) > fail_after:
                    raise PublishFailed
                self.delivered.append((record.seq, record.body))

            pending_before = len(self.appended) - len(self.delivered)
            result = self.open_spool.replay(publish, limit=limit)
            # In order, from the first undelivered record, none twice in the pass.
            start = len(self.delivered) - result.delivered
            assert calls == [seq for seq, _ in self.appended[start : start + len(calls)]]
            assert len(set(calls)) == len(calls)
            assert result.skipped == 0
            failed = isinstance(result.error, PublishFailed)
            assert failed == (fail_after is not None and len(calls) > fail_after)
            if not failed and limit is None:
                assert result.remaining == 0 and result.delivered >= pending_before

        @rule()
        def reopen(self) -> None:
            self.open_spool.close()
            self.spool = Spool(self.directory, **self.options)  # type: ignore[arg-type]

        @rule(cut=st.integers(min_value=1, max_value=60))
        def crash_mid_append(self, cut: int) -> None:
            """The process died while writing a record: its line is torn; the caller never
            got a seq back, so it must not be delivered, and nothing else may be lost."""
            self.open_spool.close()
            names = sorted(self.directory.glob("seg-*.jsonl"))
            line = b'{"seq":999999,"at":1.0,"exchange":"ex","routing_key":"rk","headers":{},'
            target = names[-1] if names else self.directory / "seg-00000000000000999999.jsonl"
            with target.open("ab") as handle:
                handle.write(line[:cut])
            self.spool = Spool(self.directory, **self.options)  # type: ignore[arg-type]

        @invariant()
        def counts_agree(self) -> None:
            if self.spool is not None:
                assert self.spool.pending == len(self.appended) - len(self.delivered)

        def teardown(self) -> None:
            if self.spool is None:
                return
            result = self.spool.replay(
                lambda record: self.delivered.append((record.seq, record.body))
            )
            self.spool.close()
            assert result.complete
            assert self.delivered == self.appended  # all of them, in order, each body intact

    return SpoolMachine


def test_any_interleaving_delivers_every_record_in_order(tmp_path: Path) -> None:
    run_state_machine_as_test(
        spool_machine(tmp_path),
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
