"""The thin passthrough of tools/bench/llm_gateway.py: the least a gateway can do, as a yardstick.

A raw ASGI app (no framework) that picks the upstream by the request's `model` from the same
config.yaml the gateways read, forwards through ONE shared aiohttp ClientSession, and passes the
answer back chunk by chunk as it arrives; served by uvicorn with uvloop and httptools.

Run: `.venv/bin/python tools/bench/llm_gateway_thin.py --config FILE --port N`
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the env

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_decode = msgspec.json.Decoder()


class _Model(msgspec.Struct):
    """Only the field routing needs; the rest of the body is forwarded untouched."""

    model: str = ""


_model_of = msgspec.json.Decoder(_Model)


def upstreams(config: Path) -> dict[str, tuple[str, str]]:
    """model_name -> (api_base, api_key) of its first deployment in a LiteLLM config.yaml."""
    data = yaml.safe_load(config.read_text())
    routes: dict[str, tuple[str, str]] = {}
    for entry in data.get("model_list") or []:
        params = entry.get("litellm_params") or {}
        name = entry["model_name"]
        if name not in routes:
            routes[name] = (str(params["api_base"]).rstrip("/"), str(params.get("api_key", "")))
    return routes


class Thin:
    """The ASGI callable; the session is opened and closed by the lifespan protocol."""

    def __init__(self, routes: dict[str, tuple[str, str]]) -> None:
        self.routes = routes
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
                    timeout=aiohttp.ClientTimeout(total=None, sock_read=600),
                    auto_decompress=False,
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            route = self.routes.get(_model_of.decode(body).model)
        except msgspec.DecodeError:
            route = None
        if route is None or self.session is None:
            await _answer(send, 404, b'{"error": {"message": "unknown model"}}')
            return
        base, key = route
        path: str = scope["path"]
        url = base + (path[3:] if path.startswith("/v1/") else path)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        try:
            async with self.session.post(url, data=body, headers=headers) as upstream:
                await send(
                    {
                        "type": "http.response.start",
                        "status": upstream.status,
                        "headers": [
                            (
                                b"content-type",
                                upstream.headers.get("Content-Type", "application/json").encode(),
                            )
                        ],
                    }
                )
                async for data in upstream.content.iter_any():
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except aiohttp.ClientError:
            # Headers may be out already; closing without the final empty body tells the client
            # the answer is incomplete, which is what a cut upstream means.
            return


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(
        Thin(upstreams(args.config)),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
    )


if __name__ == "__main__":
    main()
