"""The error responses each route documents in OpenAPI, in the `{error, meta}` envelope."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class Meta(msgspec.Struct):
    timestamp: str
    node: str


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(msgspec.Struct):
    error: ErrorDetail
    meta: Meta


DESCRIPTIONS = {
    400: "bad request: malformed JSON, a bad parameter or id",
    404: "not found",
    409: "conflict with the current state",
    413: "request body larger than api.max_body_bytes",
    422: "the body has wrong types, unknown or missing fields",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """ResponseSpecs for these statuses (400 and 404 always: any id or route may be wrong)."""
    wanted = sorted({400, 404, *statuses})
    return {
        s: ResponseSpec(data_container=ErrorEnvelope, description=DESCRIPTIONS.get(s, "error"))
        for s in wanted
    }


BODY_ERRORS = errors(413, 422)
