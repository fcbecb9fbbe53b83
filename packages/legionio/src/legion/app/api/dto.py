"""Request bodies as msgspec structs: litestar validates them (unknown fields are refused) and
documents them in the OpenAPI schema, so the routes only see well-typed values."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

Address = Annotated[str, Meta(min_length=1, max_length=300, pattern=r"^[^\x00-\x1f]+$")]
Name = Annotated[
    str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$")
]
Text = Annotated[str, Meta(max_length=100_000)]
Seconds = Annotated[float, Meta(ge=0, le=31_536_000)]
WaitSeconds = Annotated[float, Meta(gt=0, le=300)]
Interval = Annotated[float, Meta(gt=0, le=31_536_000)]
Engine = Annotated[str, Meta(min_length=1, max_length=20)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Every body refuses fields it does not know (a typo fails loudly, as a 422)."""


class TaskCreate(Strict):
    function: Address
    args: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    wait: bool = False
    timeout: WaitSeconds = 60.0
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class RelationshipCreate(Strict):
    trigger: Address
    action: Address
    conditions: dict[str, Any] | None = None
    transformation: Text | None = None
    engine: Engine = "jinja"
    delay: Seconds = 0.0
    chain: Name | None = None
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class RelationshipUpdate(Strict):
    active: bool | None = None
    conditions: dict[str, Any] | None = None
    transformation: Text | None = None
    engine: Engine | None = None
    delay: Seconds | None = None
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class ChainCreate(Strict):
    name: Name
    description: Annotated[str, Meta(max_length=2000)] | None = None


class ChainUpdate(Strict):
    active: bool


class ScheduleCreate(Strict):
    name: Name
    function: Address
    cron: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    every: Interval | None = None
    args: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None


class ScheduleUpdate(Strict):
    function: Address | None = None
    cron: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    every: Interval | None = None
    args: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None


class ExtensionUpdate(Strict):
    enabled: bool


# What a body's JSON Schema says beyond its fields' types (msgspec cannot express it).
SCHEMA_EXTRA: dict[str, dict[str, Any]] = {
    "ScheduleCreate": {
        "description": "exactly one of `cron` and `every` (seconds)",
        "oneOf": [
            {
                "required": ["cron"],
                "properties": {"cron": {"type": "string"}, "every": {"type": "null"}},
            },
            {
                "required": ["every"],
                "properties": {"every": {"type": "number"}, "cron": {"type": "null"}},
            },
        ],
    },
}

BODIES = (
    TaskCreate,
    RelationshipCreate,
    RelationshipUpdate,
    ChainCreate,
    ChainUpdate,
    ScheduleCreate,
    ScheduleUpdate,
    ExtensionUpdate,
)


def fields_of(body: msgspec.Struct) -> dict[str, Any]:
    """The body as keyword arguments (only the fields the client gave or that have defaults)."""
    return {f: getattr(body, f) for f in body.__struct_fields__}
