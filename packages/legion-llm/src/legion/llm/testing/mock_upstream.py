"""A mock upstream provider speaking the OpenAI and Anthropic wire formats, with fault injection.

The gateway's tests and benchmarks point deployments at it: answers are deterministic (see
`MockUpstream.answer_for`), and faults (cut streams, error statuses, hangs, slow or malformed
bodies) are set at construction, from Python with `set_fault`, or over HTTP at `/_mock/fault`.

    python -m legion.llm.testing.mock_upstream --port 8100 --words 64 --chunk-delay-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import msgspec
from aiohttp import web

from legion.llm.testing import mock_anthropic, mock_openai
from legion.llm.testing.faults import Fault, FaultBook, FaultMode
from legion.llm.testing.mock_answers import answer_for, split_pieces
from legion.llm.testing.mock_server import STATE, MockState, json_response

__all__ = ["Fault", "MockUpstream", "build_app", "main"]

FaultSpec = Fault | Iterable[Fault] | None


def _as_list(faults: FaultSpec) -> list[Fault]:
    if faults is None:
        return []
    if isinstance(faults, Fault):
        return [faults]
    return list(faults)


async def _set_fault(request: web.Request) -> web.Response:
    """`{"mode": ..., ...}` sets one fault, `{"faults": [...]}` several, `{}` clears them all;
    `"add": true` appends instead of replacing."""
    state = request.app[STATE]
    try:
        data = msgspec.json.decode(await request.read() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        add = bool(data.pop("add", False))
        if "faults" in data:
            faults = [Fault.from_json(f) for f in data["faults"]]
        elif data.get("mode") is None:
            faults = []
        else:
            faults = [Fault.from_json(data)]
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})
    if add:
        for fault in faults:
            state.book.add(fault)
    else:
        state.book.set(faults)
    return json_response(200, {"faults": [f.to_json() for f in state.book.current()]})


async def _clear_fault(request: web.Request) -> web.Response:
    request.app[STATE].book.set([])
    return json_response(200, {"faults": []})


async def _stats(request: web.Request) -> web.Response:
    book = request.app[STATE].book
    return json_response(
        200,
        {
            "requests": book.counts(),
            "faults": [f.to_json() for f in book.current()],
            "bodies": book.bodies(),
        },
    )


async def _reset(request: web.Request) -> web.Response:
    book = request.app[STATE].book
    book.set([])
    book.reset_stats()
    return json_response(200, {"reset": True})


def build_app(state: MockState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = state
    mock_openai.add_routes(app)
    mock_anthropic.add_routes(app)
    app.router.add_post("/_mock/fault", _set_fault)
    app.router.add_delete("/_mock/fault", _clear_fault)
    app.router.add_get("/_mock/stats", _stats)
    app.router.add_post("/_mock/reset", _reset)
    return app


class MockUpstream:
    """The mock server, run on its own event loop in a background thread (`start`/`stop`, or
    `with MockUpstream() as mock:`); `url` is `http://127.0.0.1:<port>`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        words: int = 12,
        chunks: int | None = None,
        chunk_delay: float = 0.0,
        faults: FaultSpec = None,
        models: Sequence[str] = ("mock-model",),
        embedding_dims: int = 8,
        body_limit: int = 50,
    ) -> None:
        self.host = host
        self.port = port
        self.state = MockState(
            words=words,
            chunks=chunks,
            chunk_delay=chunk_delay,
            api_key=api_key,
            models=tuple(models),
            embedding_dims=embedding_dims,
            book=FaultBook(body_limit=body_limit),
        )
        self.state.book.set(_as_list(faults))
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- answers ---------------------------------------------------------------------------------

    def answer_for(self, prompt: str) -> str:
        """The full text this mock answers to a last user message `prompt`."""
        return answer_for(prompt, self.state.words)

    def chunks_for(self, prompt: str) -> list[str]:
        """The stream chunks of that answer, in order (what `die_after` counts)."""
        return split_pieces(self.answer_for(prompt), self.state.chunks)

    # --- faults and stats ------------------------------------------------------------------------

    def set_fault(self, fault: FaultSpec | FaultMode = None, **fields: Any) -> None:
        """Replace the faults in force: a `Fault`, a list, a mode name with the fault's fields
        (`set_fault("status", status=429, times=1)`), or None to heal."""
        if isinstance(fault, str):
            fault = Fault(fault, **fields)
        self.state.book.set(_as_list(fault))

    def add_fault(self, fault: Fault | FaultMode, **fields: Any) -> None:
        self.state.book.add(Fault(fault, **fields) if isinstance(fault, str) else fault)

    def clear_faults(self) -> None:
        self.state.book.set([])

    @property
    def faults(self) -> list[Fault]:
        return self.state.book.current()

    @property
    def requests(self) -> dict[str, int]:
        """Requests seen per path (faulted ones included)."""
        return self.state.book.counts()

    def count(self, path: str) -> int:
        return self.requests.get(path, 0)

    def bodies(self, path: str | None = None) -> list[Any]:
        """The most recent request bodies (oldest first), optionally for one path."""
        return self.state.book.bodies(path)

    def last_body(self, path: str | None = None) -> Any:
        bodies = self.bodies(path)
        if not bodies:
            raise LookupError(f"no request seen{' on ' + path if path else ''}")
        return bodies[-1]

    def reset_stats(self) -> None:
        self.state.book.reset_stats()

    # --- running ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self._ready.is_set():
            raise RuntimeError("the mock upstream is not running; call start()")
        return f"http://{self.host}:{self.port}"

    def start(self) -> MockUpstream:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="mock-upstream", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("the mock upstream failed to start") from self._error
        if not self._ready.is_set():
            raise RuntimeError("the mock upstream did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._thread = None
        self._ready.clear()

    def stop_soon(self) -> None:
        """Ask `serve` to return; call on the mock's own loop (a signal handler, say)."""
        if self._stop is not None:
            self._stop.set()

    def __enter__(self) -> MockUpstream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self.serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()

    async def serve(self, *, announce: bool = False) -> None:
        """Serve until `stop()` (or until cancelled); usable on any loop."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.state.stopping = asyncio.Event()
        runner = web.AppRunner(
            build_app(self.state), access_log=None, handle_signals=False, shutdown_timeout=0.25
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            if announce:
                print(f"http://{self.host}:{self.port}", flush=True)
            await self._stop.wait()
        finally:
            self.state.stopping.set()
            await runner.cleanup()


def parse_fault(text: str) -> Fault:
    """`--fault` as JSON (`{"mode": "status", "status": 429}`) or `mode:key=value,...`."""
    if text.lstrip().startswith("{"):
        return Fault.from_json(msgspec.json.decode(text))
    mode, _, rest = text.partition(":")
    fields: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        try:
            fields[key.strip()] = msgspec.json.decode(value.strip())
        except msgspec.DecodeError:
            fields[key.strip()] = value.strip()
    return Fault.from_json({"mode": mode.strip(), **fields})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m legion.llm.testing.mock_upstream",
        description="A mock OpenAI + Anthropic upstream for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--words", type=int, default=12, help="words per answer")
    parser.add_argument("--chunks", type=int, default=None, help="stream chunks per answer")
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0)
    parser.add_argument("--api-key", default=None, help="require this key")
    parser.add_argument(
        "--fault", action="append", default=[], help='JSON or "mode:key=value,..."; repeatable'
    )
    args = parser.parse_args(argv)
    mock = MockUpstream(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        words=args.words,
        chunks=args.chunks,
        chunk_delay=args.chunk_delay_ms / 1000,
        faults=[parse_fault(f) for f in args.fault],
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, mock.stop_soon)
        await mock.serve(announce=True)

    try:
        import uvloop
    except ImportError:
        asyncio.run(run())
    else:
        uvloop.run(run())
    sys.exit(0)


if __name__ == "__main__":
    main()
