"""The curation pass: the strategies in order over the messages older than the preserved recent
turns, each one's saving measured; pure and synchronous, so the gateway runs it off the request
path in a worker thread after a turn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from legion.llm.canonical import Message
from legion.llm.curation import (
    dedup_similar,
    distill_tool_result,
    drop_and_archive,
    evict_superseded,
    fold_resolved_exchanges,
    strip_harness_noise,
    strip_thinking,
)
from legion.llm.curation.archive import Archive
from legion.llm.curation.settings import CurationSettings
from legion.llm.curation.tool_pairing import call_ids, drop_orphans, result_ids
from legion.llm.curation.turns import recent_start
from legion.llm.tokens import estimate_messages

STRATEGIES = (
    strip_thinking.NAME,
    distill_tool_result.NAME,
    strip_harness_noise.NAME,
    fold_resolved_exchanges.NAME,
    evict_superseded.NAME,
    dedup_similar.NAME,
    drop_and_archive.NAME,
)
PAIRING_REPAIR = "pairing_repair"


@dataclass(slots=True)
class CurationResult:
    """The curated messages and what it saved (estimated tokens), strategy by strategy."""

    messages: list[Message]
    tokens_before: int
    tokens_after: int
    saved_by_strategy: dict[str, int] = field(default_factory=dict)
    archived_count: int = 0
    dropped_count: int = 0

    @property
    def changed(self) -> bool:
        return self.tokens_after != self.tokens_before or self.dropped_count > 0


class Curator:
    """Applies `settings` to conversations; with no `archive` given, one is made from
    `settings.archive_dir` when that is set. Holds no per-conversation state."""

    def __init__(self, settings: CurationSettings, archive: Archive | None = None) -> None:
        self.settings = settings
        if archive is None and settings.archive_dir is not None:
            archive = Archive(settings.archive_dir)
        self.archive = archive

    def curate(self, conversation_id: str, messages: list[Message]) -> CurationResult:
        """The curated history; `messages` and their parts are never modified in place."""
        before = estimate_messages(messages)
        if not self.settings.enabled:
            return CurationResult(list(messages), before, before)
        cut = recent_start(messages, self.settings.preserve_recent_turns)
        lead = 0
        while lead < cut and messages[lead].role == "system":
            lead += 1
        prompt, body, recent = messages[:lead], messages[lead:cut], messages[cut:]
        saved: dict[str, int] = {}

        def step(name: str, apply: Callable[[list[Message]], list[Message]]) -> None:
            nonlocal body
            tokens = estimate_messages(body)
            body = apply(body)
            saved[name] = tokens - estimate_messages(body)

        settings = self.settings
        calls = distill_tool_result.calls_by_id(messages)
        step(strip_thinking.NAME, strip_thinking.strip_thinking)
        step(
            distill_tool_result.NAME,
            lambda ms: distill_tool_result.distill_tool_results(
                ms, calls, settings.distill_threshold_chars
            ),
        )
        seen = {m.text() for m in prompt}
        step(strip_harness_noise.NAME, lambda ms: strip_harness_noise.strip_harness_noise(ms, seen))
        step(fold_resolved_exchanges.NAME, fold_resolved_exchanges.fold_resolved_exchanges)
        step(
            evict_superseded.NAME,
            lambda ms: evict_superseded.evict_superseded(ms, [*ms, *recent]),
        )
        step(
            dedup_similar.NAME,
            lambda ms: dedup_similar.dedup_similar(ms, recent, settings.dedup_threshold),
        )
        # A guard: the strategies keep calls and results paired; if one did not, repair here.
        everything = [*prompt, *body, *recent]
        step(
            PAIRING_REPAIR,
            lambda ms: drop_orphans(ms, call_ids(everything), result_ids(everything)),
        )
        if saved[PAIRING_REPAIR] == 0:
            del saved[PAIRING_REPAIR]

        curated = [*prompt, *body, *recent]
        tokens = estimate_messages(curated)
        dropped = drop_and_archive.drop_and_archive(
            curated,
            recent=len(prompt) + len(body),
            target_tokens=settings.target_context_tokens,
            keep_last=settings.keep_last_messages_on_drop,
            conversation_id=conversation_id,
            archive=self.archive,
        )
        after = estimate_messages(dropped.messages)
        saved[drop_and_archive.NAME] = tokens - after
        return CurationResult(
            messages=dropped.messages,
            tokens_before=before,
            tokens_after=after,
            saved_by_strategy=saved,
            archived_count=dropped.archived,
            dropped_count=dropped.dropped,
        )
