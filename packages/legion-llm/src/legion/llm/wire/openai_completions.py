"""OpenAI's legacy `/v1/completions`: one text prompt becomes one user message, and the answer
goes back as a `text_completion`. Upstreams always get a chat request (`legacy_completion` marks
the origin), so only prompts a chat model can take are accepted."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    Message,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
)
from legion.llm.errors import GatewayError
from legion.llm.sse import frame
from legion.llm.wire.openai_chat import (
    apply_common,
    expect_int,
    expect_object,
    invalid,
    parse_model,
    unsupported,
    usage_to_wire,
)
from legion.llm.wire.openai_errors import error_object

_encode = msgspec.json.Encoder().encode


def _prompt(value: Any) -> str:
    if value is None:
        raise invalid("Missing required parameter: 'prompt'.", "prompt")
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise invalid("Invalid type for 'prompt': expected a string or an array.", "prompt")
    if len(value) == 1 and isinstance(value[0], str):
        return value[0]
    if value and all(isinstance(item, str) for item in value):
        raise unsupported("Several prompts in one request are not supported.", "prompt")
    if value and all(isinstance(item, int | list) for item in value):
        raise unsupported("Token-id prompts are not supported; send text.", "prompt")
    raise invalid("Invalid 'prompt': expected a string or an array of one string.", "prompt")


def _reject_unsupported(key: str, value: Any) -> bool:
    """Legacy parameters a chat model cannot honour; True when `key` is one of them (and fine)."""
    if key == "suffix":
        if value != "":
            raise unsupported("'suffix' (fill-in-the-middle) is not supported.", key)
    elif key == "echo":
        if value is not False:
            raise unsupported("'echo' is not supported.", key)
    elif key == "best_of":
        if expect_int(value, key, 1) > 1:
            raise unsupported("'best_of' greater than 1 is not supported.", key)
    elif key == "logprobs":
        if expect_int(value, key, 0) > 0:
            raise unsupported("'logprobs' is not supported on completions.", key)
    else:
        return False
    return True


def parse_completion_request(body: Any) -> ChatRequest:
    """A `/v1/completions` body as a one-message chat request marked `legacy_completion`."""
    body = expect_object(body, None)
    model = parse_model(body)
    prompt = _prompt(body.get("prompt"))
    request = ChatRequest(model=model, messages=[Message("user", [TextPart(prompt)])])
    for key, value in body.items():
        if key in ("model", "prompt") or value is None:
            continue
        if apply_common(request, body, key, value) or _reject_unsupported(key, value):
            continue
        request.extra[key] = value
    request.extra["legacy_completion"] = True
    return request


def _finish(reason: str) -> str:
    return reason if reason in ("stop", "length", "content_filter") else "stop"


def render_completion_response(response: ChatResponse, model: str) -> dict[str, Any]:
    """A `text_completion` object holding the answer's text."""
    return {
        "id": response.id,
        "object": "text_completion",
        "created": response.created or int(time.time()),
        "model": model,
        "choices": [
            {
                "text": response.text(),
                "index": 0,
                "logprobs": None,
                "finish_reason": _finish(response.finish_reason),
            }
        ],
        "usage": usage_to_wire(response.usage),
        "system_fingerprint": None,
    }


class CompletionStreamRenderer:
    """Canonical stream events as `text_completion` SSE frames (text only)."""

    def __init__(self, meta: StreamMeta, include_usage: bool) -> None:
        self.meta = meta
        self.include_usage = include_usage
        self._done = False

    def _chunk(self, choices: list[dict[str, Any]], **more: Any) -> bytes:
        body = {
            "id": self.meta.id,
            "object": "text_completion",
            "created": self.meta.created,
            "model": self.meta.model,
            "system_fingerprint": None,
            "choices": choices,
            **more,
        }
        return frame(_encode(body))

    def _text(self, text: str, finish_reason: str | None) -> bytes:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}
        return self._chunk([choice])

    def start(self) -> bytes:
        """Nothing: completion streams have no role chunk."""
        return b""

    def event(self, ev: StreamEvent) -> bytes:
        if isinstance(ev, TextDelta):
            return self._text(ev.text, None) if ev.text else b""
        if isinstance(ev, StreamEnd):
            return self.finish(ev)
        return b""

    def finish(self, end: StreamEnd) -> bytes:
        if self._done:
            return b""
        self._done = True
        out = self._text("", _finish(end.finish_reason))
        if self.include_usage:
            out += self._chunk([], usage=usage_to_wire(end.usage, self.meta.input_tokens))
        return out + frame(b"[DONE]")

    def error(self, err: GatewayError) -> bytes:
        if self._done:
            return b""
        self._done = True
        return frame(_encode({"error": error_object(err)})) + frame(b"[DONE]")
