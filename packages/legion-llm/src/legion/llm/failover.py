"""Mid-stream failover: when a provider dies after k chunks, the next candidate continues the same
client stream from the text already sent, with nothing lost and nothing said twice.

The client sees one stream. Text already delivered is handed to the next provider as
`ChatRequest.continue_from`; whatever the continuation repeats of that text is trimmed before it is
forwarded. Tool calls are held back until each one is complete, so a call cut in half is never
seen by the client: the next provider makes it again whole, numbered after the calls already sent.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from legion.llm.canonical import (
    ChatRequest,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.tokens import estimate_text

# Shortest repeat of the delivered text that counts as an overlap rather than a coincidence.
MIN_OVERLAP = 8
# How much of a continuation is held back to look for a repeat of the delivered tail.
OVERLAP_WINDOW = 256


class Attempts(Protocol):
    """What the failover loop needs from escalation: the next candidate and a place to report."""

    def next(self) -> Deployment | None: ...

    def report(
        self, deployment: Deployment, error: GatewayError | None, duration_ms: float
    ) -> None: ...

    def exhausted_error(self) -> GatewayError: ...


StreamCall = Callable[[ChatRequest, Deployment], AsyncIterator[StreamEvent]]


@dataclass
class StreamOutcome:
    """Filled in while the stream runs; read by the ledger when it ends."""

    deployment: Deployment | None = None
    first_deployment: Deployment | None = None
    failovers: int = 0
    ttft_ms: float | None = None
    usage: Usage = field(default_factory=Usage)
    delivered_text: str = ""
    # Characters already delivered when the last attempt began (its continue_from).
    continued_chars: int = 0


class OverlapTrimmer:
    """Drops the start of a continuation that repeats the end of what was already delivered."""

    def __init__(self, delivered: str) -> None:
        self._delivered = delivered
        self._held = ""
        self._done = not delivered

    def feed(self, text: str) -> str:
        if self._done:
            return text
        self._held += text
        if len(self._held) < min(OVERLAP_WINDOW, len(self._delivered)):
            # A short continuation can only be judged once it is long enough or ends.
            if not self._could_still_overlap():
                return self.flush()
            return ""
        return self.flush()

    def flush(self) -> str:
        if self._done:
            return ""
        self._done = True
        held, self._held = self._held, ""
        return self._trim(held)

    def _could_still_overlap(self) -> bool:
        held = self._held.lstrip()
        return any(
            self._delivered[i:].startswith(held) or held.startswith(self._delivered[i:])
            for i in range(max(0, len(self._delivered) - OVERLAP_WINDOW), len(self._delivered))
        )

    def _trim(self, held: str) -> str:
        delivered = self._delivered
        # A provider that continues a prefill whose trailing space was stripped may send it again.
        if delivered[-1:].isspace() and held[:1].isspace():
            held = held.lstrip()
        # A repeat counts when it is long enough to be no coincidence, or when the continuation
        # restarts the whole answer from its first character.
        shortest = min(MIN_OVERLAP, len(delivered))
        for size in range(min(len(held), len(delivered)), shortest - 1, -1):
            if delivered.endswith(held[:size]):
                return held[size:]
        return held


async def failover_stream(
    request: ChatRequest,
    attempts: Attempts,
    call: StreamCall,
    outcome: StreamOutcome,
    *,
    on_switch: Callable[[Deployment, Deployment, int], None] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Stream from the candidates in order, switching on failure, until one finishes.

    Raises the last client error, or `attempts.exhausted_error()` when every candidate failed;
    after the first delivered event the caller turns that into an in-stream error frame.
    """
    started = time.perf_counter()
    delivered = ""
    tools_sent = 0
    previous: Deployment | None = None
    while (deployment := attempts.next()) is not None:
        if outcome.first_deployment is None:
            outcome.first_deployment = deployment
        if previous is not None:
            outcome.failovers += 1
            if on_switch is not None:
                on_switch(previous, deployment, len(delivered))
        previous = deployment
        outcome.deployment = deployment
        outcome.continued_chars = len(delivered)
        attempt_request = replace(request, continue_from=delivered) if delivered else request
        trimmer = OverlapTrimmer(delivered)
        held_tools: list[StreamEvent] = []
        tool_index: dict[int, int] = {}
        attempt_started = time.perf_counter()
        try:
            async for event in call(attempt_request, deployment):
                if isinstance(event, TextDelta):
                    out = _flush_tools(held_tools)
                    for held in out:
                        yield held
                    text = trimmer.feed(event.text)
                    if text:
                        if outcome.ttft_ms is None:
                            outcome.ttft_ms = (time.perf_counter() - started) * 1000
                        delivered += text
                        yield TextDelta(text)
                elif isinstance(event, ToolCallStart):
                    # A new call means the previous one is complete.
                    for held in _flush_tools(held_tools):
                        yield held
                    tool_index[event.index] = tools_sent
                    tools_sent += 1
                    held_tools.append(replace(event, index=tool_index[event.index]))
                elif isinstance(event, ToolCallDelta):
                    if event.index in tool_index:
                        held_tools.append(replace(event, index=tool_index[event.index]))
                elif isinstance(event, ThinkingDelta):
                    if outcome.ttft_ms is None:
                        outcome.ttft_ms = (time.perf_counter() - started) * 1000
                    yield event
                elif isinstance(event, StreamEnd):
                    tail = trimmer.flush()
                    if tail:
                        delivered += tail
                        yield TextDelta(tail)
                    for held in _flush_tools(held_tools):
                        yield held
                    if outcome.ttft_ms is None:
                        outcome.ttft_ms = (time.perf_counter() - started) * 1000
                    attempts.report(deployment, None, _ms(attempt_started))
                    outcome.delivered_text = delivered
                    outcome.usage = _client_usage(event.usage, delivered[: outcome.continued_chars])
                    yield StreamEnd(event.finish_reason, outcome.usage)
                    return
            raise GatewayError(
                ErrorKind.UPSTREAM, f"{deployment.provider}: stream ended early", upstream=True
            )
        except GatewayError as error:
            # Tool calls not yet complete are dropped; finished ones stay sent.
            tools_sent -= sum(1 for e in held_tools if isinstance(e, ToolCallStart))
            attempts.report(deployment, error, _ms(attempt_started))
            if not (error.retryable or error.unusable):
                outcome.delivered_text = delivered
                raise
    outcome.delivered_text = delivered
    raise attempts.exhausted_error()


def _flush_tools(held: list[StreamEvent]) -> list[StreamEvent]:
    out = list(held)
    held.clear()
    return out


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _client_usage(last: Usage, before: str) -> Usage:
    """Usage as the client should see it: the whole answer, not only the last provider's part
    (which read the earlier part as input)."""
    if not before:
        return last
    earlier = estimate_text(before)
    return Usage(
        input_tokens=max(last.input_tokens - earlier, 0),
        output_tokens=last.output_tokens + earlier,
        thinking_tokens=last.thinking_tokens,
        cache_read_tokens=last.cache_read_tokens,
    )
