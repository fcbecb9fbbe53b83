"""Mid-stream failover: one well-formed stream for the client whatever dies and wherever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legion.llm.canonical import (
    ChatRequest,
    Message,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.failover import OverlapTrimmer, StreamOutcome, failover_stream

ANSWER = "The capital of France is Paris. It sits on the Seine and has about two million people."


class ListAttempts:
    """Candidates in order, with the reports kept for assertions."""

    def __init__(self, deployments: list[Deployment]) -> None:
        self.pending = list(deployments)
        self.reports: list[tuple[str, str | None]] = []

    def next(self) -> Deployment | None:
        return self.pending.pop(0) if self.pending else None

    def report(
        self, deployment: Deployment, error: GatewayError | None, duration_ms: float
    ) -> None:
        self.reports.append((deployment.id, None if error is None else error.kind.value))

    def exhausted_error(self) -> GatewayError:
        return GatewayError(ErrorKind.OVERLOADED, "all candidates failed", retry_after=1)


def deployment(name: str) -> Deployment:
    return Deployment(id=name, model_name="m", provider="openai", model=name)


def request() -> ChatRequest:
    return ChatRequest(model="m", messages=[Message("user", [TextPart("capital of France?")])])


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def upstream(behaviour: dict[str, tuple[int | None, int]]):  # type: ignore[no-untyped-def]
    """A fake provider per deployment id: (die after k chunks or None, chunk size).

    A continuation request answers the rest of ANSWER after `continue_from`, as a model asked to
    continue would; `repeat` makes it first repeat the last 12 delivered characters.
    """
    seen: list[ChatRequest] = []

    async def call(req: ChatRequest, dep: Deployment) -> AsyncIterator[StreamEvent]:
        seen.append(req)
        die_after, size = behaviour[dep.id]
        text = ANSWER
        if req.continue_from:
            assert ANSWER.startswith(req.continue_from)
            text = ANSWER[len(req.continue_from) :]
            if dep.id.startswith("repeat"):
                text = req.continue_from[-12:] + text
        for i, piece in enumerate(chunks(text, size)):
            if die_after is not None and i == die_after:
                raise GatewayError(ErrorKind.UPSTREAM, "connection reset", upstream=True)
            await asyncio.sleep(0)
            yield TextDelta(piece)
        if die_after is not None and die_after >= len(chunks(text, size)):
            raise GatewayError(ErrorKind.UPSTREAM, "ended early", upstream=True)
        yield StreamEnd("stop", Usage(5, 7))

    return call, seen


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [e async for e in events]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.mark.parametrize("k", [0, 1, 5, 20])
def test_primary_dies_after_k_chunks_and_the_answer_is_whole(k: int) -> None:
    attempts = ListAttempts([deployment("a"), deployment("b")])
    call, seen = upstream({"a": (k, 4), "b": (None, 4)})
    outcome = StreamOutcome()
    events = asyncio.run(collect(failover_stream(request(), attempts, call, outcome)))
    assert text_of(events) == ANSWER
    assert isinstance(events[-1], StreamEnd)
    assert sum(isinstance(e, StreamEnd) for e in events) == 1
    assert attempts.reports == [("a", "upstream"), ("b", None)]
    assert outcome.failovers == 1
    assert (seen[1].continue_from or "") == ANSWER[: 4 * k]
    assert outcome.delivered_text == ANSWER


def test_continuation_that_repeats_the_tail_is_trimmed() -> None:
    attempts = ListAttempts([deployment("a"), deployment("repeat-b")])
    call, _ = upstream({"a": (6, 5), "repeat-b": (None, 3)})
    events = asyncio.run(collect(failover_stream(request(), attempts, call, StreamOutcome())))
    assert text_of(events) == ANSWER


def test_two_failures_in_a_row_then_success() -> None:
    attempts = ListAttempts([deployment("a"), deployment("b"), deployment("c")])
    call, seen = upstream({"a": (2, 6), "b": (3, 2), "c": (None, 6)})
    outcome = StreamOutcome()
    events = asyncio.run(collect(failover_stream(request(), attempts, call, outcome)))
    assert text_of(events) == ANSWER
    assert outcome.failovers == 2
    assert seen[2].continue_from == ANSWER[: 12 + 6]


def test_all_candidates_dying_raises_the_exhausted_error_after_the_delivered_text() -> None:
    attempts = ListAttempts([deployment("a"), deployment("b")])
    call, _ = upstream({"a": (2, 4), "b": (1, 4)})
    delivered: list[StreamEvent] = []

    async def run() -> None:
        async for event in failover_stream(request(), attempts, call, StreamOutcome()):
            delivered.append(event)

    with pytest.raises(GatewayError) as info:
        asyncio.run(run())
    assert info.value.kind is ErrorKind.OVERLOADED
    assert text_of(delivered) == ANSWER[:12]


def test_a_client_error_is_not_retried() -> None:
    attempts = ListAttempts([deployment("a"), deployment("b")])

    async def call(req: ChatRequest, dep: Deployment) -> AsyncIterator[StreamEvent]:
        raise GatewayError(ErrorKind.INVALID_REQUEST, "bad temperature", upstream=True)
        yield TextDelta("")  # pragma: no cover

    with pytest.raises(GatewayError) as info:
        asyncio.run(collect(failover_stream(request(), attempts, call, StreamOutcome())))
    assert info.value.kind is ErrorKind.INVALID_REQUEST
    assert attempts.reports == [("a", "invalid_request")]


def test_a_tool_call_cut_in_half_is_never_shown_and_is_made_again_whole() -> None:
    attempts = ListAttempts([deployment("a"), deployment("b")])

    async def call(req: ChatRequest, dep: Deployment) -> AsyncIterator[StreamEvent]:
        yield ToolCallStart(0, f"call_{dep.id}", "lookup")
        yield ToolCallDelta(0, '{"city": ')
        if dep.id == "a":
            raise GatewayError(ErrorKind.UPSTREAM, "reset", upstream=True)
        yield ToolCallDelta(0, '"Paris"}')
        yield StreamEnd("tool_calls", Usage(3, 4))

    events = asyncio.run(collect(failover_stream(request(), attempts, call, StreamOutcome())))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [(s.index, s.id) for s in starts] == [(0, "call_b")]
    args = "".join(e.arguments for e in events if isinstance(e, ToolCallDelta))
    assert args == '{"city": "Paris"}'
    assert isinstance(events[-1], StreamEnd) and events[-1].finish_reason == "tool_calls"


def test_client_usage_counts_the_whole_answer_after_a_failover() -> None:
    attempts = ListAttempts([deployment("a"), deployment("b")])
    call, _ = upstream({"a": (10, 4), "b": (None, 4)})
    outcome = StreamOutcome()
    events = asyncio.run(collect(failover_stream(request(), attempts, call, outcome)))
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage.output_tokens == 7 + 10  # the 40 characters delivered first ≈ 10 tokens


@settings(max_examples=60, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(ANSWER)),
    size=st.integers(min_value=1, max_value=9),
    repeat=st.booleans(),
)
def test_any_cut_point_and_chunking_delivers_the_answer_exactly_once(
    cut: int, size: int, repeat: bool
) -> None:
    second = "repeat-b" if repeat else "b"
    die_after = cut // size
    attempts = ListAttempts([deployment("a"), deployment(second)])
    call, _ = upstream({"a": (die_after, size), second: (None, size)})
    events = asyncio.run(collect(failover_stream(request(), attempts, call, StreamOutcome())))
    assert text_of(events) == ANSWER


def test_trimmer_keeps_a_continuation_that_does_not_repeat() -> None:
    trimmer = OverlapTrimmer("Hello there, ")
    assert trimmer.feed("w") + trimmer.feed("orld") + trimmer.flush() == "world"


def test_trimmer_does_not_double_a_space_stripped_from_a_prefill() -> None:
    trimmer = OverlapTrimmer("The answer is ")
    assert trimmer.feed(" 42.") + trimmer.flush() == "42."
