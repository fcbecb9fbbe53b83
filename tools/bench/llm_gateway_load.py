"""The load generator of tools/bench/llm_gateway.py, in its own process so it never shares an event
loop or GIL with a target: one shared aiohttp session, N concurrent workers, every answer checked.

Two shapes: `duration` (workers loop through a warm-up, then a timed window; the requests that
finish inside it are the sample) and `count` (exactly that many requests: integrity, failover,
RSS). Streams are parsed as SSE events: time to first content chunk, content chunks, and the
reassembled text compared with the mock's deterministic answer. Prints JSON lines: progress,
then the result.

Run: `.venv/bin/python tools/bench/llm_gateway_load.py '<job JSON>'` (the orchestrator does).
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec

from legion.llm.testing.mock_answers import answer_for, split_pieces

_decode = msgspec.json.Decoder()
_encode = msgspec.json.Encoder()


@dataclass
class Job:
    url: str  # full URL of the chat completions route
    model: str
    words: int  # the mock's answer length, so the expected text can be computed
    stream: bool
    concurrency: int
    key: str = ""
    duration: float = 0.0  # > 0: timed window after `warmup`
    warmup: float = 0.0
    count: int = 0  # > 0: exactly this many requests
    timeout: float = 120.0
    tag: str = "r"  # prompt prefix; keeps prompts unique across jobs


@dataclass
class Outcome:
    """What one request gave; `chunks` counts SSE events carrying content."""

    start: float
    end: float
    ok: bool
    ttft: float | None = None
    chunks: int = 0
    expected_chunks: int = 0
    lost: int = 0
    merged: int = 0
    duplicated: int = 0
    text_ok: bool = False
    error: str | None = None
    status: int = 200


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    done: int = 0


def _content(event: Any) -> tuple[str | None, str | None]:
    """(delta text, error message) of one decoded chat.completion.chunk."""
    if not isinstance(event, dict):
        return None, "event is not an object"
    if "error" in event:
        return None, str(event["error"])[:200]
    choices = event.get("choices") or []
    if not choices:
        return None, None
    delta = choices[0].get("delta") or {}
    content = delta.get("content")
    return (content if isinstance(content, str) and content else None), None


def judge(expected: list[str], received: list[str]) -> tuple[int, int, int]:
    """(lost, merged, duplicated) content chunks of a stream against the mock's pieces.

    Intact text: pieces carried inside another event count as merged. Otherwise the texts are
    compared word by word: expected words missing are lost, words beyond them duplicated."""
    text = "".join(received)
    if text == "".join(expected):
        return 0, max(0, len(expected) - len(received)), max(0, len(received) - len(expected))
    got = split_pieces(text, None)
    matcher = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return len(expected) - matched, 0, len(got) - matched


async def one(session: aiohttp.ClientSession, job: Job, prompt: str) -> Outcome:
    body = {
        "model": job.model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": job.stream,
    }
    headers = {"Content-Type": "application/json"}
    if job.key:
        headers["Authorization"] = f"Bearer {job.key}"
    expected_text = answer_for(prompt, job.words)
    start = time.perf_counter()
    try:
        async with session.post(job.url, data=_encode.encode(body), headers=headers) as response:
            if not 200 <= response.status < 300:
                payload = await response.read()
                return Outcome(
                    start,
                    time.perf_counter(),
                    False,
                    error=f"HTTP {response.status}: {payload[:160]!r}",
                )
            if not job.stream:
                payload = await response.read()
                end = time.perf_counter()
                answer = _decode.decode(payload)
                text = answer["choices"][0]["message"]["content"]
                good = text == expected_text
                outcome = Outcome(
                    start, end, good, text_ok=good, error=None if good else "wrong answer text"
                )
            else:
                outcome = await _read_stream(response, start, expected_text)
            outcome.status = response.status
            return outcome
    except (TimeoutError, aiohttp.ClientError, KeyError, IndexError, TypeError) as exc:
        return Outcome(
            start, time.perf_counter(), False, error=f"{type(exc).__name__}: {exc}"[:200]
        )
    except msgspec.DecodeError as exc:
        return Outcome(start, time.perf_counter(), False, error=f"bad JSON: {exc}"[:200])


async def _read_stream(
    response: aiohttp.ClientResponse, start: float, expected_text: str
) -> Outcome:
    received: list[str] = []
    ttft: float | None = None
    error: str | None = None
    done = False
    data: list[bytes] = []
    async for raw in response.content:
        line = raw.rstrip(b"\r\n")
        if line.startswith(b"data:"):
            data.append(line[5:].lstrip(b" "))
            continue
        if line or not data:
            continue  # comments, event names, ids; or a blank line with no event pending
        payload = b"\n".join(data)
        data = []
        if payload == b"[DONE]":
            done = True
            continue
        text, problem = _content(_decode.decode(payload))
        if problem is not None and error is None:
            error = f"error event: {problem}"
        if text is not None:
            if ttft is None:
                ttft = time.perf_counter() - start
            received.append(text)
    end = time.perf_counter()
    expected = split_pieces(expected_text, None)
    lost, merged, duplicated = judge(expected, received)
    text_ok = "".join(received) == expected_text
    if error is None and not done:
        error = "stream ended without [DONE]"
    return Outcome(
        start,
        end,
        ok=error is None and text_ok,
        ttft=ttft,
        chunks=len(received),
        expected_chunks=len(expected),
        lost=lost,
        merged=merged,
        duplicated=duplicated,
        text_ok=text_ok,
        error=error if error is not None else (None if text_ok else "wrong stream text"),
    )


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not values:
        return None
    rank = max(1, min(len(values), round(q / 100 * len(values) + 0.5)))
    return values[rank - 1]


def summarise(job: Job, outcomes: list[Outcome], window: float) -> dict[str, Any]:
    good = [o for o in outcomes if o.ok]
    latencies = sorted(o.end - o.start for o in good)
    ttfts = sorted(o.ttft for o in good if o.ttft is not None)
    errors: dict[str, int] = {}
    for o in outcomes:
        if o.error is not None:
            errors[o.error] = errors.get(o.error, 0) + 1
    ms = 1000.0

    def pct(values: list[float], q: float) -> float | None:
        value = percentile(values, q)
        return None if value is None else value * ms

    streams = [o for o in outcomes if o.expected_chunks]
    return {
        "requests": len(outcomes),
        "ok": len(good),
        "failed": len(outcomes) - len(good),
        "text_ok": sum(o.text_ok for o in outcomes),
        "window_s": window,
        "rps": len(good) / window if window > 0 else None,
        "p50_ms": pct(latencies, 50),
        "p90_ms": pct(latencies, 90),
        "p99_ms": pct(latencies, 99),
        "max_ms": latencies[-1] * ms if latencies else None,
        "ttft_p50_ms": pct(ttfts, 50),
        "ttft_p99_ms": pct(ttfts, 99),
        "chunks": sum(o.chunks for o in streams),
        "expected_chunks": sum(o.expected_chunks for o in streams),
        "lost_chunks": sum(o.lost for o in streams),
        "merged_chunks": sum(o.merged for o in streams),
        "duplicated_chunks": sum(o.duplicated for o in streams),
        "streams_with_loss": sum(1 for o in streams if o.lost),
        # A success answered with another 2xx than OpenAI's 200 (clients accept it; flagged).
        "not_200": sum(1 for o in outcomes if o.ok and o.status != 200),
        "errors": dict(sorted(errors.items(), key=lambda item: -item[1])[:5]),
        "distinct_errors": len(errors),
    }


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def reporter(tally: Tally, total: float, started: float, by_time: bool) -> None:
    while True:
        await asyncio.sleep(0.25)
        done = time.perf_counter() - started if by_time else tally.done
        emit({"progress": min(done, total), "total": total})


async def run(job: Job) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=30)
    timeout = aiohttp.ClientTimeout(total=job.timeout)
    tally = Tally()
    ids = itertools.count()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        if job.count:
            window_start = started

            async def counted() -> None:
                while (i := next(ids)) < job.count:
                    tally.outcomes.append(await one(session, job, f"{job.tag}{i}"))
                    tally.done += 1

            progress = asyncio.create_task(reporter(tally, job.count, started, False))
            await asyncio.gather(*(counted() for _ in range(job.concurrency)))
            window_end = time.perf_counter()
            outcomes = tally.outcomes
        else:
            window_start = started + job.warmup
            window_end = window_start + job.duration

            async def timed() -> None:
                while time.perf_counter() < window_end:
                    tally.outcomes.append(await one(session, job, f"{job.tag}{next(ids)}"))
                    tally.done += 1

            progress = asyncio.create_task(
                reporter(tally, job.warmup + job.duration, started, True)
            )
            await asyncio.gather(*(timed() for _ in range(job.concurrency)))
            # The sample is what finished inside the window, so slow targets whose requests
            # outlast the window are still measured; nothing new starts after it.
            outcomes = [o for o in tally.outcomes if window_start <= o.end <= window_end]
        progress.cancel()
    return summarise(job, outcomes, window_end - window_start)


def main() -> None:
    job = Job(**json.loads(sys.argv[1]))
    try:
        import uvloop

        result = uvloop.run(run(job))
    except ImportError:
        result = asyncio.run(run(job))
    emit({"result": result})


if __name__ == "__main__":
    main()
