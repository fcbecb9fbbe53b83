"""Which RBAC resource and action a request is about, from its route's `opt`.

Routes declare `opt={"rbac": ("extensions/{name}", "read")}`; path params fill the template.
A route that declares neither `rbac` nor `public` is checked as `api/<path>` with the action
its method implies, so a forgotten declaration fails closed (only broad roles reach it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
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


def fill(template: str, params: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise RouteSpecError(f"rbac template {template!r} names {{{name}}}, not a path param")
        return str(params[name])

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
