"""OpenAI `/v1/embeddings` and the `/v1/models` list.

The official SDK asks for `encoding_format="base64"` by default and decodes little-endian
float32, so vectors are packed that way whatever the machine's byte order.
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

from legion.llm.canonical import EmbeddingRequest, EmbeddingResponse, Usage
from legion.llm.wire.openai_chat import (
    expect_int,
    expect_object,
    expect_str,
    invalid,
    malformed,
    parse_model,
    unsupported,
)


def _inputs(value: Any) -> list[str]:
    if value is None:
        raise invalid("Missing required parameter: 'input'.", "input")
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise invalid("Invalid type for 'input': expected a string or an array.", "input")
    if not value:
        raise invalid("Invalid 'input': empty array.", "input")
    if all(isinstance(item, str) for item in value):
        return list(value)
    if all(isinstance(item, int | list) and not isinstance(item, bool) for item in value):
        raise unsupported("Token-id inputs are not supported; send text.", "input")
    bad = next(i for i, item in enumerate(value) if not isinstance(item, str))
    raise invalid(f"Invalid type for 'input[{bad}]': expected a string.", f"input[{bad}]")


def parse_embedding_request(body: Any) -> EmbeddingRequest:
    """An `/v1/embeddings` body; `encoding_format` is kept in `extra` for the renderer."""
    body = expect_object(body, None)
    request = EmbeddingRequest(model=parse_model(body), inputs=_inputs(body.get("input")))
    for key, value in body.items():
        if key in ("model", "input") or value is None:
            continue
        if key == "dimensions":
            request.dimensions = expect_int(value, key, 1)
        elif key == "user":
            request.user = expect_str(value, key)
        elif key == "encoding_format":
            if value not in ("float", "base64"):
                raise invalid(
                    f"Invalid value for 'encoding_format': {value!r}. "
                    "Supported values are: 'float' and 'base64'.",
                    key,
                )
            request.extra[key] = value
        else:
            request.extra[key] = value
    return request


def _base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def render_embedding_response(
    response: EmbeddingResponse, model: str, encoding_format: str
) -> dict[str, Any]:
    """An embeddings `list`; vectors as floats or as base64 little-endian float32."""
    encode = _base64 if encoding_format == "base64" else list
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(vector)}
            for i, vector in enumerate(response.vectors)
        ],
        "model": model,
        "usage": {
            "prompt_tokens": response.usage.input_tokens,
            "total_tokens": response.usage.input_tokens,
        },
    }


def render_model(name: str, created: int, owned_by: str = "legion") -> dict[str, Any]:
    return {"id": name, "object": "model", "created": created, "owned_by": owned_by}


def render_models(names: list[str], created: int, owned_by: str = "legion") -> dict[str, Any]:
    """The `/v1/models` list of the model names a caller may use."""
    return {"object": "list", "data": [render_model(name, created, owned_by) for name in names]}


def embedding_request_to_wire(request: EmbeddingRequest, model: str) -> dict[str, Any]:
    """The upstream body: always float vectors, whatever the client asked for."""
    body: dict[str, Any] = {k: v for k, v in request.extra.items() if k != "encoding_format"}
    body.update(model=model, input=list(request.inputs), encoding_format="float")
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if request.user is not None:
        body["user"] = request.user
    return body


def embedding_response_from_wire(body: Any, model: str) -> EmbeddingResponse:
    """Upstream vectors ordered by `index`; float lists or base64 float32 both read."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise malformed("embeddings response has no data array")
    rows: list[tuple[int, list[float]]] = []
    for position, item in enumerate(body["data"]):
        if not isinstance(item, dict):
            raise malformed(f"data[{position}] is not an object")
        index = item.get("index", position)
        vector = item.get("embedding")
        if isinstance(vector, str):
            try:
                raw = base64.b64decode(vector, validate=True)
                vector = list(struct.unpack(f"<{len(raw) // 4}f", raw))
            except (binascii.Error, struct.error) as exc:
                raise malformed(f"data[{position}].embedding is not base64 float32") from exc
        if not isinstance(vector, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in vector
        ):
            raise malformed(f"data[{position}].embedding is not a list of numbers")
        rows.append((index if isinstance(index, int) else position, [float(x) for x in vector]))
    rows.sort(key=lambda row: row[0])
    usage = body.get("usage")
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    upstream_model = body.get("model")
    return EmbeddingResponse(
        model=upstream_model if isinstance(upstream_model, str) else model,
        vectors=[vector for _, vector in rows],
        usage=Usage(input_tokens=tokens if isinstance(tokens, int) else 0),
    )
