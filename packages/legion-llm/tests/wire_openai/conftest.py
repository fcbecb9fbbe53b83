"""Loopback servers for the OpenAI wire tests: a minimal gateway built from the dialect's parse and
render functions (driven by the official `openai` SDK), and a fake OpenAI upstream (driven by
OpenAICompatProvider). Each runs its own event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import pytest
from aiohttp import web

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingResponse,
    FinishReason,
    ImagePart,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallStart,
    ToolUsePart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers import http
from legion.llm.wire import (
    openai_chat,
    openai_completions,
    openai_embeddings,
    openai_responses,
)
from legion.llm.wire.openai_errors import error_headers, render_error

T = TypeVar("T")
CREATED = 1_700_000_000


# --- a web app on a background loop -------------------------------------------------------------


class ServerThread:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


# --- the gateway under test: parse -> canned canonical answer -> render ------------------------


@dataclass
class GatewayState:
    requests: list[Any] = field(default_factory=list)


def _prompt(request: ChatRequest) -> str:
    users = [m for m in request.messages if m.role == "user"]
    return users[-1].text() if users else ""


def canned_response(request: ChatRequest) -> ChatResponse:
    """What the fake gateway answers: an error when asked (`error:<kind>`), a tool call when
    tools are offered and the prompt mentions weather, else an echo of the prompt."""
    prompt = _prompt(request)
    if prompt.startswith("error:"):
        kind = ErrorKind(prompt.removeprefix("error:"))
        raise GatewayError(kind, f"simulated {kind.value}", retry_after=3)
    usage = Usage(input_tokens=11, output_tokens=7)
    if request.tools and "weather" in prompt:
        call = ToolUsePart("call_abc", request.tools[0].name, '{"city": "Paris", "unit": "c"}')
        return ChatResponse("chatcmpl-1", request.model, [call], "tool_calls", usage, CREATED)
    images = sum(isinstance(p, ImagePart) for m in request.messages for p in m.content)
    text = f"echo: {prompt}" + (f" [images: {images}]" if images else "")
    finish: FinishReason = "length" if "truncate" in prompt else "stop"
    return ChatResponse("chatcmpl-1", request.model, [TextPart(text)], finish, usage, CREATED)


def canned_events(response: ChatResponse) -> list[StreamEvent]:
    """The answer as small deltas, the way a provider streams it."""
    events: list[StreamEvent] = []
    calls = 0
    for part in response.content:
        if isinstance(part, TextPart):
            events.extend(TextDelta(part.text[i : i + 3]) for i in range(0, len(part.text), 3))
        elif isinstance(part, ToolUsePart):
            events.append(ToolCallStart(calls, part.id, part.name))
            args = part.arguments
            events.extend(ToolCallDelta(calls, args[i : i + 4]) for i in range(0, len(args), 4))
            calls += 1
    return events


def _error_response(err: GatewayError) -> web.Response:
    status, body = render_error(err)
    return web.json_response(body, status=status, headers=error_headers(err))


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise GatewayError(ErrorKind.INVALID_REQUEST, "The body is not valid JSON.") from None


def _chat_route(
    state: GatewayState,
    parse: Callable[[Any], ChatRequest],
    render: Callable[[ChatResponse, ChatRequest, StreamMeta], dict[str, Any]],
    renderer: Callable[[ChatRequest, StreamMeta], Any],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            chat = parse(await _json(request))
            state.requests.append(chat)
            response = canned_response(chat)
        except GatewayError as err:
            return _error_response(err)
        meta = StreamMeta(id="resp_1", model=chat.model, created=CREATED, input_tokens=11)
        if not chat.stream:
            return web.json_response(render(response, chat, meta))
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        frames = renderer(chat, meta)
        await out.write(frames.start())
        for event in canned_events(response):
            await out.write(frames.event(event))
        if "fail midway" in _prompt(chat):
            await out.write(frames.error(GatewayError(ErrorKind.UPSTREAM, "upstream went away")))
        else:
            await out.write(frames.finish(StreamEnd(response.finish_reason, response.usage)))
        await out.write_eof()
        return out

    return handler


def _include_usage(chat: ChatRequest) -> bool:
    options = chat.extra.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def gateway_app(state: GatewayState) -> web.Application:
    async def embeddings(request: web.Request) -> web.Response:
        try:
            parsed = openai_embeddings.parse_embedding_request(await _json(request))
        except GatewayError as err:
            return _error_response(err)
        state.requests.append(parsed)
        vectors = [[0.5, -1.25, float(len(text))] for text in parsed.inputs]
        response = EmbeddingResponse(parsed.model, vectors, Usage(input_tokens=4))
        encoding = str(parsed.extra.get("encoding_format", "float"))
        return web.json_response(
            openai_embeddings.render_embedding_response(response, parsed.model, encoding)
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response(openai_embeddings.render_models(["alpha", "beta"], CREATED))

    async def model(request: web.Request) -> web.Response:
        return web.json_response(openai_embeddings.render_model(request.match_info["name"], 5))

    app = web.Application()
    app.router.add_post(
        "/v1/chat/completions",
        _chat_route(
            state,
            openai_chat.parse_chat_request,
            lambda r, chat, meta: openai_chat.render_chat_response(r, chat.model),
            lambda chat, meta: openai_chat.ChatStreamRenderer(meta, _include_usage(chat)),
        ),
    )
    app.router.add_post(
        "/v1/completions",
        _chat_route(
            state,
            openai_completions.parse_completion_request,
            lambda r, chat, meta: openai_completions.render_completion_response(r, chat.model),
            lambda chat, meta: openai_completions.CompletionStreamRenderer(
                meta, _include_usage(chat)
            ),
        ),
    )
    app.router.add_post(
        "/v1/responses",
        _chat_route(
            state,
            openai_responses.parse_responses_request,
            lambda r, chat, meta: openai_responses.render_responses_response(r, meta),
            lambda chat, meta: openai_responses.ResponsesStreamRenderer(meta),
        ),
    )
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/v1/models/{name}", model)
    return app


@dataclass
class Gateway:
    url: str
    state: GatewayState


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    state = GatewayState()
    with ServerThread(gateway_app(state)) as server:
        yield Gateway(server.url, state)


# --- a fake OpenAI upstream ---------------------------------------------------------------------


def sse_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "up-1", "object": "chat.completion.chunk", "model": "up", "choices": [choice]}


TEXT_CHUNKS = [
    sse_chunk({"role": "assistant", "content": ""}),
    sse_chunk({"content": "Hel"}),
    sse_chunk({"content": "lo, "}),
    sse_chunk({"content": "wor"}),
    sse_chunk({"content": "ld"}),
    sse_chunk({}, "stop"),
    {"id": "up-1", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}},
]

TOOL_CHUNKS = [
    sse_chunk({"role": "assistant", "content": None}),
    sse_chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_w",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    sse_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}),
    sse_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}]}),
    sse_chunk({}, "tool_calls"),
]

COMPLETION = {
    "id": "up-1",
    "object": "chat.completion",
    "created": CREATED,
    "model": "up-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from upstream"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
}


def sse_bytes(chunks: list[dict[str, Any]], done: bool = True) -> bytes:
    body = b"".join(b"data: " + msgspec.json.encode(chunk) + b"\n\n" for chunk in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


@dataclass
class UpstreamState:
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    release: asyncio.Event | None = None


def upstream_app(state: UpstreamState) -> web.Application:
    """Scenarios by the first path segment: the provider's api_base is `{url}/{scenario}/v1`."""

    async def stream(request: web.Request, payload: bytes, cut: bool = False) -> web.StreamResponse:
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        for start in range(0, len(payload), 7):  # split mid-line and mid-frame
            await out.write(payload[start : start + 7])
        if cut:
            assert request.transport is not None
            request.transport.close()
            return out
        await out.write_eof()
        return out

    async def chat(request: web.Request) -> web.StreamResponse:
        scenario = request.match_info["scenario"]
        body = await request.json()
        state.requests.append((scenario, dict(request.headers), body))
        if scenario.startswith("status"):
            status = int(scenario.removeprefix("status"))
            headers = {"Retry-After": "7"} if status == 429 else {}
            error = {"error": {"message": f"upstream said {status}", "type": "x"}}
            return web.json_response(error, status=status, headers=headers)
        if scenario == "badjson":
            return web.Response(body=b"{not json", content_type="application/json")
        if scenario == "hang":
            assert state.release is not None
            await state.release.wait()
            return web.json_response(COMPLETION)
        if not body.get("stream"):
            return web.json_response(COMPLETION)
        if scenario == "tools":
            return await stream(request, sse_bytes(TOOL_CHUNKS))
        if scenario.startswith("cut"):
            kept = int(scenario.removeprefix("cut"))
            return await stream(request, sse_bytes(TEXT_CHUNKS[:kept], done=False), cut=True)
        if scenario.startswith("eof"):
            kept = int(scenario.removeprefix("eof"))
            return await stream(request, sse_bytes(TEXT_CHUNKS[:kept], done=False))
        if scenario == "badsse":
            return await stream(request, sse_bytes(TEXT_CHUNKS[:2], done=False) + b"data: {x\n\n")
        if scenario == "jsonstream":
            return web.json_response(COMPLETION)
        return await stream(request, sse_bytes(TEXT_CHUNKS))

    async def embeddings(request: web.Request) -> web.Response:
        body = await request.json()
        state.requests.append((request.match_info["scenario"], dict(request.headers), body))
        data = [
            {"object": "embedding", "index": i, "embedding": [float(i), 0.25]}
            for i in reversed(range(len(body["input"])))
        ]
        return web.json_response(
            {"object": "list", "data": data, "model": "emb", "usage": {"prompt_tokens": 6}}
        )

    async def on_startup(app: web.Application) -> None:
        state.release = asyncio.Event()

    async def on_shutdown(app: web.Application) -> None:
        assert state.release is not None
        state.release.set()

    app = web.Application()
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.router.add_post("/{scenario}/v1/chat/completions", chat)
    app.router.add_post("/{scenario}/v1/embeddings", embeddings)
    return app


@dataclass
class Upstream:
    url: str
    state: UpstreamState

    def deployment(self, scenario: str = "ok", **overrides: Any) -> Deployment:
        fields: dict[str, Any] = {
            "id": f"d-{scenario}",
            "model_name": "public",
            "provider": "openai",
            "model": "up-model",
            "api_base": f"{self.url}/{scenario}/v1/",
            "api_key": "sk-test",
            "timeout": 5.0,
        }
        fields.update(overrides)
        return Deployment(**fields)

    def last(self, scenario: str) -> tuple[dict[str, str], Any]:
        for name, headers, body in reversed(self.state.requests):
            if name == scenario:
                return headers, body
        raise AssertionError(f"no request for {scenario}")


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    state = UpstreamState()
    with ServerThread(upstream_app(state)) as server:
        yield Upstream(server.url, state)


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine on a fresh event loop, closing that loop's shared HTTP session."""

    def runner(coro: Coroutine[Any, Any, T]) -> T:
        async def main() -> T:
            try:
                return await coro
            finally:
                await http.close_sessions()

        return asyncio.run(main())

    return runner
