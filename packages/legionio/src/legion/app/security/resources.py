"""Which RBAC resource and action a request is about, from its route's `opt`.

Routes declare `opt={"rbac": ("extensions/{name}", "read")}`; path params fill the template.
A route that declares neither `rbac` nor `public` is checked as `api/<path>` with the action
its method implies, so a forgotten declaration fails closed (only broad roles reach it).

A path value that cannot be part of a resource (empty, a `/`, a control character, spaces at
either end) is bad input: a 400 naming the parameter, as the route itself would answer, rather
than an RBAC question with no meaningful answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from litestar.exceptions import ValidationException

PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.:@-]+")  # what every id and name is: nothing to check
ACTION_OF_METHOD = {
    "GET": "read",
    "HEAD": "read",
    "OPTIONS": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}


class RouteSpecError(ValueError):
    """A route's `opt["rbac"]` is malformed (a programming error, answered with 500)."""


def is_public(opt: Mapping[str, Any]) -> bool:
    return bool(opt.get("public"))


def segment_problem(value: str) -> str | None:
    """Why `value` cannot be one segment of a resource path, or None."""
    if PLAIN_SEGMENT.fullmatch(value):
        return None
    if not value:
        return "is empty"
    if value != value.strip():
        return "starts or ends with a space"
    if "/" in value:
        return "contains '/'"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        return "contains a control character"
    return None


def fill(template: str, params: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise RouteSpecError(f"rbac template {template!r} names {{{name}}}, not a path param")
        value = str(params[name])
        problem = segment_problem(value)
        if problem is not None:
            raise ValidationException(
                f"invalid path parameter {name}",
                extra=[{"key": name, "source": "path", "message": f"the value {problem}"}],
            )
        return value

    return PLACEHOLDER.sub(one, template).lstrip("/")


def resource_and_action(
    opt: Mapping[str, Any], params: Mapping[str, Any], method: str, path: str
) -> tuple[str, str]:
    spec = opt.get("rbac")
    if spec is None:
        return path.strip("/") or "api", ACTION_OF_METHOD.get(method.upper(), "read")
    if not (
        isinstance(spec, tuple | list) and len(spec) == 2 and all(isinstance(s, str) for s in spec)
    ):
        raise RouteSpecError(f"opt['rbac'] must be (resource_template, action), got {spec!r}")
    return fill(spec[0], params), spec[1]
