"""Turns every failure into the error envelope with a fitting 4xx status, so bad input never
surfaces as a 500 and clients parse one error shape everywhere."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.exceptions.http_exceptions import ClientException

from legion.app.api.envelope import failure
from legion.core.errors import LegionError, UsageError

STATUS_OF_CODE = {
    "not_found": 404,
    "conflict": 409,
    "validation_failed": 422,
    "bad_request": 400,
    "invalid_config": 400,
}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    503: "unavailable",
}
UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
REQUIRED_FIELD = re.compile(r"missing required field `([^`]+)`")


def status_of(exc: LegionError) -> int:
    """Bad input is a 4xx by its code; any other engine error is a server-side failure."""
    if exc.code in STATUS_OF_CODE:
        return STATUS_OF_CODE[exc.code]
    return 400 if isinstance(exc, UsageError) else 500


def legion_error(_: Request[Any, Any, Any], exc: LegionError) -> Response[dict[str, Any]]:
    body = failure(exc.code, exc.message, exc.details, hint=exc.hint)
    return Response(body, status_code=status_of(exc))


def field_problems(extra: Any) -> list[dict[str, Any]]:
    """litestar's validation `extra` as `[{field, source, problem}]`, naming the field even
    when msgspec reports it only in the message (unknown or missing fields)."""
    problems = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        named = UNKNOWN_FIELD.search(message) or REQUIRED_FIELD.search(message)
        key = item.get("key")
        field = named.group(1) if named else key
        if key not in (None, "data") and named:
            field = f"{key}.{named.group(1)}"
        problems.append({"field": field, "source": item.get("source"), "problem": message})
    return problems


def validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Wrong types or unknown fields in a body are 422; bad query/path values and a missing
    body are 400."""
    problems = field_problems(exc.extra)
    in_body = bool(problems) and all(p["source"] == "body" for p in problems)
    missing_body = in_body and all(p["problem"] == "'data'" for p in problems)
    malformed = in_body and any("malformed" in p["problem"] for p in problems)
    if malformed:
        message = "the body is not valid JSON"
        return Response(failure("malformed_json", message, problems), status_code=400)
    if missing_body:
        return Response(
            failure("bad_request", "this route needs a JSON body", problems), status_code=400
        )
    where = ", ".join(str(p["field"]) for p in problems) or "the request"
    if in_body:
        return Response(
            failure("validation_failed", f"invalid request body: {where}", problems),
            status_code=422,
        )
    return Response(
        failure("bad_request", f"invalid parameter: {where}", problems), status_code=400
    )


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = CODE_OF_STATUS.get(status, "http_error")
    message = exc.detail
    if isinstance(exc, ClientException) and isinstance(exc.__cause__, SerializationException):
        code, message = "malformed_json", f"the body is not valid JSON: {message}"
    return Response(failure(code, message), status_code=status, headers=exc.headers)


def internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    from legion.core.logging import logger

    logger.opt(exception=exc).error("unhandled error in a request")
    return Response(failure("internal", "internal server error"), status_code=500)


def too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A body nested deeper than the decoder can follow (`[[[[...]]]]` within the size limit)
    is bad input, not a server failure; any other runaway recursion stays a 500."""
    if "deserializ" in str(exc) or "decod" in str(exc):
        message = "the body is not valid JSON: it is nested too deeply"
        return Response(failure("malformed_json", message), status_code=400)
    return internal_error(request, exc)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    LegionError: legion_error,
    RecursionError: too_deep,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: internal_error,
}
