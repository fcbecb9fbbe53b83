"""The responses each route documents in OpenAPI: the `{data, meta}` envelope of a success (a
page of items for list routes) and the `{error, meta}` envelope of each failure it can answer.

Every route behind the security layer can also answer 401 (no or bad credentials), 403 (RBAC
refused) and 429 (rate limited); public routes only 429 (the per-IP limit comes first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Link, OpenAPIResponse, Operation


class Meta(msgspec.Struct):
    timestamp: str
    node: str


class PageMeta(Meta):
    limit: int
    offset: int
    total: int
    has_more: bool


class Envelope(msgspec.Struct):
    """A success: the result in `data`."""

    data: Any
    meta: Meta


class Page(msgspec.Struct):
    """A list route's success: one page of items and where it lies in the whole."""

    data: list[Any]
    meta: PageMeta


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    details: Any = None
    hint: str | None = None


class ErrorEnvelope(msgspec.Struct):
    error: ErrorDetail
    meta: Meta


# Structs whose JSON Schema the document takes from msgspec (see openapi.exact_components).
DOCUMENTED = (Envelope, Page, ErrorEnvelope)

DESCRIPTIONS = {
    400: "bad request: malformed JSON, a bad parameter or id",
    401: "authentication required, or the credentials were refused",
    403: "RBAC refused the call (`details` names the rule)",
    404: "not found",
    409: "conflict with the current state (it already exists)",
    413: "request body larger than api.max_body_bytes",
    422: "the body has wrong types, unknown or missing fields",
    429: "rate limited (`Retry-After` says when to try again)",
}
SECURED = (401, 403, 429)


def spec(container: Any, description: str) -> ResponseSpec:
    return ResponseSpec(data_container=container, description=description, generate_examples=False)


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """ResponseSpecs for these statuses (400 and 404 always: any id or route may be wrong),
    plus what the security layer answers."""
    wanted = sorted({400, 404, *SECURED, *statuses})
    return {s: spec(ErrorEnvelope, DESCRIPTIONS.get(s, "error")) for s in wanted}


def one(*statuses: int, status: int = 200, description: str = "the result") -> dict[int, Any]:
    """A route answering one item in the envelope (with `status`), and these error statuses."""
    return {status: spec(Envelope, description), **errors(*statuses)}


def page(*statuses: int) -> dict[int, ResponseSpec]:
    """A list route: one page of items, with limit, offset, total and has_more in `meta`."""
    return {200: spec(Page, "one page of items"), **errors(*statuses)}


PUBLIC = {200: spec(Envelope, "the result"), 429: spec(ErrorEnvelope, DESCRIPTIONS[429])}
BODY_ERRORS = (413, 422)


def linked(links: dict[str, Link], *statuses: int) -> type[Operation]:
    """An Operation class adding OpenAPI links to these success responses: what a client (or a
    stateful test) can call next with values from the body, such as the id just created."""

    @dataclass
    class LinkedOperation(Operation):
        def __post_init__(self) -> None:
            for status in statuses:
                response = (self.responses or {}).get(str(status))
                if isinstance(response, OpenAPIResponse):
                    response.links = {**(response.links or {}), **links}

    return LinkedOperation


def operation_ref(path: str, method: str) -> str:
    """A JSON pointer to an operation of the document (`/` in the path escaped as `~1`)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def links_to(path: str, methods: dict[str, str], parameter: str, value: str) -> dict[str, Link]:
    """`{name: Link}` to each method of `path`, filling `parameter` from `value`."""
    return {
        name: Link(
            operation_ref=operation_ref(path, method),
            parameters={parameter: value},
            description=f"{method.upper()} {path} with {parameter} from the response",
        )
        for name, method in methods.items()
    }
