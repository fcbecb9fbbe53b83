"""What curation may do to a conversation: opt-in, with the bounds each strategy works within."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class CurationSettings:
    """Curation is off unless `enabled`; the last `preserve_recent_turns` user turns are never
    changed, whatever the other settings say."""

    enabled: bool = False
    # User turns at the end of the conversation kept verbatim (0: every turn is eligible).
    preserve_recent_turns: int = 2
    # Tool results longer than this (characters of text) become a one-line summary.
    distill_threshold_chars: int = 2000
    # Jaccard similarity (word 3-shingles) at or above which two messages are near-duplicates.
    dedup_threshold: float = 0.85
    # Above this estimate, the oldest messages are dropped (and archived when archive_dir is set).
    target_context_tokens: int = 40000
    # Messages kept at the end when dropping (never fewer than the preserved recent turns).
    keep_last_messages_on_drop: int = 10
    # Where dropped messages are archived, one JSONL file per conversation; None: not archived.
    archive_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.preserve_recent_turns < 0:
            raise ValueError("preserve_recent_turns must be >= 0")
        if self.distill_threshold_chars < 1:
            raise ValueError("distill_threshold_chars must be >= 1")
        if not 0.0 < self.dedup_threshold <= 1.0:
            raise ValueError("dedup_threshold must be in (0, 1]")
        if self.target_context_tokens < 1:
            raise ValueError("target_context_tokens must be >= 1")
        if self.keep_last_messages_on_drop < 0:
            raise ValueError("keep_last_messages_on_drop must be >= 0")
