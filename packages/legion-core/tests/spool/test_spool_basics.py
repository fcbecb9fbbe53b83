"""Appending, replaying, rotation, the size cap, stats and settings of the spool."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

import legion.core.spool.segment as segment_module
import legion.core.spool.spool as spool_module
from legion.core.settings import load_settings
from legion.core.spool import (
    Spool,
    SpoolBusy,
    SpoolClosed,
    SpoolFull,
    SpoolMessage,
    SpoolRecord,
    open_spool,
    spool_dir,
)
from legion.core.spool.checkpoint import write_checkpoint


def message(n: int, size: int = 10) -> SpoolMessage:
    return SpoolMessage("legion.tasks", f"rk.{n}", f"{n:0{size}d}".encode(), {"n": n})


def drain(spool: Spool) -> list[SpoolRecord]:
    got: list[SpoolRecord] = []
    result = spool.replay(got.append)
    assert result.complete
    return got


def segments(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("seg-*.jsonl"))


def test_records_replay_in_append_order_with_their_content(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        seqs = [spool.append(message(n)) for n in range(5)]
        got = drain(spool)
    assert seqs == [1, 2, 3, 4, 5]
    assert [r.seq for r in got] == seqs
    assert [(r.exchange, r.routing_key, r.body, r.headers) for r in got] == [
        ("legion.tasks", f"rk.{n}", f"{n:010d}".encode(), {"n": n}) for n in range(5)
    ]


def test_the_directory_and_files_are_private(spool_path: Path) -> None:
    spool_path.mkdir(parents=True, mode=0o755)
    spool_path.chmod(0o755)
    with Spool(spool_path) as spool:
        spool.append(message(1))
        spool.replay(lambda record: None, limit=1)
        spool.append(message(2))
    assert stat.S_IMODE(spool_path.stat().st_mode) == 0o700
    files = [p for p in spool_path.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"checkpoint.json", "seg-00000000000000000002.jsonl"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_segments_rotate_at_max_file_bytes_and_go_once_replayed(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=400) as spool:
        for n in range(12):
            spool.append(message(n))
        names = segments(spool_path)
        assert len(names) > 3
        assert all((spool_path / name).stat().st_size <= 400 for name in names)
        assert spool.stats().segments == len(names)
        assert spool.stats().bytes == sum((spool_path / n).stat().st_size for n in names)
        assert [r.seq for r in drain(spool)] == list(range(1, 13))
        assert segments(spool_path) == []
        assert spool.stats().bytes == 0


def test_a_record_bigger_than_a_segment_gets_a_segment_of_its_own(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=100) as spool:
        spool.append(message(1, size=500))
        spool.append(message(2, size=500))
        assert len(segments(spool_path)) == 2
        assert [r.body for r in drain(spool)] == [f"{n:0500d}".encode() for n in (1, 2)]


def test_a_failing_publish_stops_the_pass_and_keeps_the_rest(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=300) as spool:
        for n in range(10):
            spool.append(message(n))
        sent: list[int] = []

        def publish(record: SpoolRecord) -> None:
            if record.seq == 6:
                raise ConnectionError("broker went away")
            sent.append(record.seq)

        result = spool.replay(publish)
        assert sent == [1, 2, 3, 4, 5]
        assert isinstance(result.error, ConnectionError)
        assert (result.delivered, result.remaining, result.complete) == (5, 5, False)
        assert spool.stats().pending == 5
        assert [r.seq for r in drain(spool)] == [6, 7, 8, 9, 10]


def test_a_restart_resumes_after_the_last_delivered_record(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        for n in range(6):
            spool.append(message(n))
        assert spool.replay(lambda record: None, limit=4).delivered == 4
    assert json.loads((spool_path / "checkpoint.json").read_text()) == {"acked": 4}
    with Spool(spool_path) as spool:
        assert spool.stats().pending == 2
        assert [r.seq for r in drain(spool)] == [5, 6]


def test_seq_keeps_counting_after_every_segment_is_gone(spool_path: Path) -> None:
    with Spool(spool_path) as spool:
        spool.append(message(1))
        spool.append(message(2))
        drain(spool)
    assert segments(spool_path) == []
    with Spool(spool_path) as spool:
        assert spool.append(message(3)) == 3
        assert [r.seq for r in drain(spool)] == [3]


@pytest.mark.parametrize("max_file_bytes", [250, 1 << 20])  # a segment per record, or one
def test_records_appended_during_a_replay_go_out_in_the_same_pass(
    spool_path: Path, max_file_bytes: int
) -> None:
    with Spool(spool_path, max_file_bytes=max_file_bytes) as spool:
        spool.append(message(0))
        sent: list[int] = []

        def publish(record: SpoolRecord) -> None:
            sent.append(record.seq)
            if record.seq < 8:
                spool.append(message(record.seq))

        result = spool.replay(publish)
        assert result.complete and sent == list(range(1, 9))


def test_a_full_spool_refuses_new_records_and_drops_none(spool_path: Path) -> None:
    with Spool(spool_path, max_file_bytes=4096, max_total_bytes=1000) as spool:
        accepted = []
        with pytest.raises(SpoolFull, match="not stored") as info:
            for n in range(100):
                accepted.append(spool.append(message(n)))
        assert info.value.code == "spool_full"
        assert 0 < len(accepted) < 100
        assert spool.stats().bytes <= 1000
        with pytest.raises(SpoolFull):
            spool.append(message(999))
        assert [r.seq for r in drain(spool)] == accepted
        assert spool.append(message(1000)) == accepted[-1] + 1


def test_concurrent_producers_each_keep_their_order_and_lose_nothing(spool_path: Path) -> None:
    producers, each = 6, 150
    with Spool(spool_path, max_file_bytes=2000, fsync="never") as spool:
        start = threading.Barrier(producers)

        def produce(p: int) -> None:
            start.wait()
            for i in range(each):
                spool.append(SpoolMessage("ex", str(p), str(i).encode()))

        threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        got = drain(spool)
    assert [r.seq for r in got] == list(range(1, producers * each + 1))
    for p in range(producers):
        assert [int(r.body) for r in got if r.routing_key == str(p)] == list(range(each))


def test_stats_count_pending_records_and_the_age_of_the_oldest(spool_path: Path) -> None:
    now = [1000.0]
    with Spool(spool_path, max_file_bytes=200, clock=lambda: now[0]) as spool:
        assert spool.stats().pending == 0 and spool.stats().oldest_age is None
        for n in range(4):
            spool.append(message(n))
            now[0] += 10.0
        stats = spool.stats()
        assert (stats.pending, stats.oldest_age, stats.acked, stats.next_seq) == (4, 40.0, 0, 5)
        spool.replay(lambda record: None, limit=2)
        assert (spool.stats().pending, spool.stats().oldest_age) == (2, 20.0)
    with Spool(spool_path, clock=lambda: now[0]) as spool:
        assert (spool.stats().pending, spool.stats().oldest_age) == (2, 20.0)


@pytest.mark.parametrize(("policy", "expected"), [("always", 6), ("batch", 2), ("never", 0)])
def test_the_fsync_policy_decides_how_often_appends_are_synced(
    spool_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, expected: int
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(segment_module, "sync_file", synced.append)
    with Spool(spool_path, fsync=policy, fsync_batch=3) as spool:  # type: ignore[arg-type]
        for n in range(6):
            spool.append(message(n))
        assert len(synced) == expected
        spool.sync()
        assert len(synced) == expected + 1
        assert [r.seq for r in drain(spool)] == list(range(1, 7))


def test_a_failed_sync_takes_the_record_back(
    spool_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Spool(spool_path) as spool:
        spool.append(message(1))

        def broken(fd: int) -> None:
            raise OSError(5, "I/O error")

        monkeypatch.setattr(segment_module, "sync_file", broken)
        with pytest.raises(OSError):
            spool.append(message(2))
        monkeypatch.undo()
        assert spool.stats().pending == 1
        assert spool.append(message(3)) == 2
        assert [r.routing_key for r in drain(spool)] == ["rk.1", "rk.3"]


@pytest.mark.parametrize(("policy", "expected"), [("always", 5), ("batch", 1), ("never", 0)])
def test_checkpoints_are_synced_per_record_only_under_always(
    spool_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, expected: int
) -> None:
    calls: list[bool] = []

    def counting(target: Path, acked: int, *, sync: bool) -> None:
        calls.append(sync)
        write_checkpoint(target, acked, sync=sync)

    with Spool(spool_path, fsync=policy, fsync_batch=100) as spool:  # type: ignore[arg-type]
        for n in range(5):
            spool.append(message(n))
        monkeypatch.setattr(spool_module, "write_checkpoint", counting)
        assert spool.replay(lambda record: None).complete
    assert len(calls) >= 5 and sum(calls) == expected
    assert json.loads((spool_path / "checkpoint.json").read_text()) == {"acked": 5}


def test_one_spool_object_per_directory(spool_path: Path) -> None:
    with Spool(spool_path), pytest.raises(SpoolBusy):
        Spool(spool_path)
    with Spool(spool_path) as spool:  # released on close
        spool.append(message(1))


def test_a_closed_spool_refuses_work(spool_path: Path) -> None:
    spool = Spool(spool_path)
    spool.close()
    spool.close()
    assert spool.closed
    with pytest.raises(SpoolClosed):
        spool.append(message(1))
    with pytest.raises(SpoolClosed):
        spool.replay(lambda record: None)


def test_bad_arguments_are_refused(spool_path: Path) -> None:
    with pytest.raises(ValueError, match="fsync"):
        Spool(spool_path, fsync="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        Spool(spool_path, max_total_bytes=0)


def test_settings_place_the_spool_under_legion_home(legion_home: Path) -> None:
    settings = load_settings()
    assert settings.spool.fsync == "always"
    assert spool_dir(settings, "transport") == legion_home / "spool" / "transport"
    with open_spool(settings, "transport") as spool:
        spool.append(message(1))
        assert spool.directory == legion_home / "spool" / "transport"
        assert spool.max_total_bytes == settings.spool.max_total_bytes
    with pytest.raises(ValueError, match="spool name"):
        spool_dir(settings, "../escape")


def test_spool_settings_come_from_the_environment(
    legion_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_SPOOL__DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LEGION_SPOOL__FSYNC", "batch")
    monkeypatch.setenv("LEGION_SPOOL__MAX_FILE_BYTES", "8192")
    settings = load_settings()
    with open_spool(settings, "t") as spool:
        assert spool.directory == tmp_path / "elsewhere" / "t"
        assert (spool.fsync, spool.max_file_bytes) == ("batch", 8192)


def test_a_segment_is_deleted_only_after_a_synced_checkpoint_covers_it(
    spool_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, int, bool]] = []
    real_unlink = Path.unlink

    def write(target: Path, acked: int, *, sync: bool) -> None:
        events.append(("checkpoint", acked, sync))
        write_checkpoint(target, acked, sync=sync)

    def unlink(path: Path, missing_ok: bool = False) -> None:
        if path.name.startswith("seg-"):
            events.append(("unlink", int(path.name[4:24]), False))
        real_unlink(path, missing_ok=missing_ok)

    with Spool(spool_path, max_file_bytes=300, fsync="batch", fsync_batch=1000) as spool:
        for n in range(9):
            spool.append(message(n))
        monkeypatch.setattr(spool_module, "write_checkpoint", write)
        monkeypatch.setattr(Path, "unlink", unlink)
        assert spool.replay(lambda record: None).complete
    unlinks = [i for i, event in enumerate(events) if event[0] == "unlink"]
    assert len(unlinks) >= 3
    for index in unlinks:
        kind, acked, synced = events[index - 1]
        assert kind == "checkpoint" and synced
        assert acked >= events[index][1]  # covers at least the segment's first record


def test_replaying_while_producers_append_loses_and_reorders_nothing(spool_path: Path) -> None:
    total = 600
    with Spool(spool_path, max_file_bytes=700, fsync="never") as spool:
        done = threading.Event()

        def produce() -> None:
            for n in range(total):
                spool.append(message(n))
            done.set()

        producer = threading.Thread(target=produce)
        producer.start()
        got: list[int] = []
        while not (done.is_set() and spool.pending == 0):
            assert spool.replay(lambda record: got.append(record.seq)).error is None
        producer.join()
        assert got == list(range(1, total + 1))
        assert spool.stats().segments == 0
