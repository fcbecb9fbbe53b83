"""Context curation on the generated agent-session corpus: tokens before and after, which strategy
saved what, and how many planted facts are still present (string presence, not an LLM answering).

Run: `.venv/bin/python tools/bench/llm_curation.py [--json] [--seed 7] [--per-bucket 22]`
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from legion.llm.canonical import Message
from legion.llm.curation import STRATEGIES, Archive, CurationSettings, Curator
from legion.llm.curation.message_text import full_text
from legion.llm.curation.turns import recent_start
from legion.llm.testing.agent_sessions import (
    BUCKETS,
    Fact,
    Session,
    bucket_label,
    bucket_of,
    generate,
)

SHORT = {
    "strip_thinking": "think",
    "distill_tool_result": "distill",
    "strip_harness_noise": "noise",
    "fold_resolved_exchanges": "fold",
    "evict_superseded": "evict",
    "dedup_similar": "dedup",
    "drop_and_archive": "drop",
}


@dataclass
class Bucket:
    label: str
    sessions: int = 0
    before: int = 0
    after: int = 0
    saved: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STRATEGIES, 0))
    facts: int = 0
    kept_history: int = 0
    kept_with_archive: int = 0
    kept_truncated: int = 0
    seconds: float = 0.0
    archived_sessions: int = 0

    def row(self) -> dict[str, object]:
        total_saved = sum(self.saved.values()) or 1
        n = max(self.sessions, 1)
        return {
            "bucket": self.label,
            "sessions": self.sessions,
            "mean_tokens_before": round(self.before / n),
            "mean_tokens_after": round(self.after / n),
            "reduction_pct": round(100 * (1 - self.after / self.before), 1) if self.before else 0.0,
            "strategy_share_pct": {
                name: round(100 * saved / total_saved, 1) for name, saved in self.saved.items()
            },
            "sessions_with_drop": self.archived_sessions,
            "facts": self.facts,
            "facts_in_history_pct": round(100 * self.kept_history / self.facts, 1)
            if self.facts
            else 100.0,
            "facts_in_history_or_archive_pct": round(100 * self.kept_with_archive / self.facts, 1)
            if self.facts
            else 100.0,
            "facts_if_truncated_pct": round(100 * self.kept_truncated / self.facts, 1)
            if self.facts
            else 100.0,
            "mean_curate_ms": round(1000 * self.seconds / n, 1),
        }


def present(fact: Fact, messages: list[Message]) -> bool:
    """The fact counts as kept when one message holds every one of its evidence strings."""
    return any(all(e in full_text(m) for e in fact.evidence) for m in messages)


def measure(sessions: list[Session], settings: CurationSettings, archive: Archive) -> list[Bucket]:
    buckets = {bucket_label(low, high): Bucket(bucket_label(low, high)) for low, high in BUCKETS}
    curator = Curator(settings, archive)
    for session in sessions:
        bucket = buckets[bucket_of(session.turns)]
        start = time.perf_counter()
        result = curator.curate(session.id, session.messages)
        bucket.seconds += time.perf_counter() - start
        bucket.sessions += 1
        bucket.before += result.tokens_before
        bucket.after += result.tokens_after
        for name, saved in result.saved_by_strategy.items():
            bucket.saved[name] = bucket.saved.get(name, 0) + saved
        bucket.archived_sessions += result.dropped_count > 0
        archived = [m for batch in archive.read(session.id) for m in batch.messages]
        # The comparison: the system prompt and the preserved recent turns alone, nothing else.
        cut = recent_start(session.messages, settings.preserve_recent_turns)
        truncated = [*session.messages[:1], *session.messages[cut:]]
        for fact in session.facts:
            bucket.facts += 1
            in_history = present(fact, result.messages)
            bucket.kept_history += in_history
            bucket.kept_with_archive += in_history or present(fact, archived)
            bucket.kept_truncated += present(fact, truncated)
    return list(buckets.values())


def total(buckets: list[Bucket]) -> Bucket:
    all_ = Bucket("all")
    for bucket in buckets:
        all_.sessions += bucket.sessions
        all_.before += bucket.before
        all_.after += bucket.after
        for name, saved in bucket.saved.items():
            all_.saved[name] = all_.saved.get(name, 0) + saved
        all_.facts += bucket.facts
        all_.kept_history += bucket.kept_history
        all_.kept_with_archive += bucket.kept_with_archive
        all_.kept_truncated += bucket.kept_truncated
        all_.seconds += bucket.seconds
        all_.archived_sessions += bucket.archived_sessions
    return all_


def print_table(rows: list[dict[str, object]], settings: CurationSettings) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=(
            "Context curation on the generated agent sessions "
            f"(preserve {settings.preserve_recent_turns} turns, target "
            f"{settings.target_context_tokens} tokens)"
        )
    )
    for column in ("turns", "sessions", "tokens before", "after", "reduction"):
        table.add_column(column, justify="right")
    for name in STRATEGIES:
        table.add_column(SHORT[name], justify="right")
    for column in (
        "dropped",
        "facts",
        "kept in history",
        "kept incl. archive",
        "kept if truncated",
        "ms",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        shares = row["strategy_share_pct"]
        assert isinstance(shares, dict)
        table.add_row(
            str(row["bucket"]),
            str(row["sessions"]),
            f"{row['mean_tokens_before']:,}",
            f"{row['mean_tokens_after']:,}",
            f"{row['reduction_pct']}%",
            *(f"{shares[name]}%" for name in STRATEGIES),
            str(row["sessions_with_drop"]),
            str(row["facts"]),
            f"{row['facts_in_history_pct']}%",
            f"{row['facts_in_history_or_archive_pct']}%",
            f"{row['facts_if_truncated_pct']}%",
            str(row["mean_curate_ms"]),
        )
    Console(width=200).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-bucket", type=int, default=22)
    args = parser.parse_args()
    sessions = generate(seed=args.seed, per_bucket=args.per_bucket)
    with tempfile.TemporaryDirectory() as directory:
        settings = CurationSettings(enabled=True, archive_dir=Path(directory))
        buckets = measure(sessions, settings, Archive(Path(directory)))
    rows = [b.row() for b in buckets] + [total(buckets).row()]
    if args.json:
        print(json.dumps({"seed": args.seed, "sessions": len(sessions), "rows": rows}, indent=2))
    else:
        print_table(rows, settings)


if __name__ == "__main__":
    main()
