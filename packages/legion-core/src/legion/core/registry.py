"""The capability registry: every function of every loaded extension, with its schema.

The CLI, the REST API and the MCP server all read this one registry; nothing else lists functions.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from legion.core.errors import NotFoundError, UsageError
from legion.core.extensions.capability import CapabilityOptions, options_of
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.extensions.extension import Extension, runner_functions, runner_name
from legion.core.extensions.schema import (
    build_input_model,
    context_parameter,
    signature_text,
    validate_args,
)

ContextFactory = Callable[["Capability", str | None], Any]


@dataclass
class Capability:
    """One invocable function, addressed `extension.runner.function`."""

    extension: str
    runner: str
    function: str
    target: Callable[..., Any]
    owner: Any
    options: CapabilityOptions
    extension_settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    context_factory: ContextFactory | None = field(default=None, repr=False)
    _instance: Any = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.extension}.{self.runner}.{self.function}"

    @property
    def is_method(self) -> bool:
        return inspect.isclass(self.owner)

    @property
    def description(self) -> str:
        if self.options.description:
            return self.options.description
        doc = inspect.getdoc(self.target) or ""
        return doc.split("\n\n", 1)[0].replace("\n", " ").strip()

    @cached_property
    def input_model(self) -> type[BaseModel]:
        name = "".join(part.title() for part in self.address.replace(".", "_").split("_"))
        return build_input_model(self.target, f"{name}Input", skip_self=self.is_method)

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        schema = self.input_model.model_json_schema()
        schema.pop("title", None)
        return schema

    @cached_property
    def signature(self) -> str:
        return signature_text(self.target, skip_self=self.is_method)  # resolves type hints: once

    def validate(self, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return validate_args(self.input_model, args or {}, self.address)

    def bound(self) -> Callable[..., Any]:
        if not self.is_method:
            return self.target
        if self._instance is None:
            self._instance = self.owner()
        return getattr(self._instance, self.function)  # type: ignore[no-any-return]

    @cached_property
    def context_param(self) -> str | None:
        return context_parameter(self.target, skip_self=self.is_method)

    def call(self, args: Mapping[str, Any], task_id: str | None = None) -> Any:
        """Call with already-validated arguments, filling in the Context parameter if declared."""
        kwargs = dict(args)
        if self.context_param is not None:
            kwargs[self.context_param] = self.make_context(self, task_id)
        result = self.bound()(**kwargs)
        if inspect.isawaitable(result):
            return asyncio.run(_await(result))
        return result

    def invoke(self, args: Mapping[str, Any] | None = None) -> Any:
        """Validate the arguments against the schema, then call the function (async included)."""
        return self.call(self.validate(args))

    def make_context(self, cap: Capability, task_id: str | None) -> Any:
        from legion.core.context import Context

        if self.context_factory is not None:
            return self.context_factory(cap, task_id)
        return Context(extension=self.extension, settings=dict(self.extension_settings))

    def describe(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "extension": self.extension,
            "runner": self.runner,
            "function": self.function,
            "description": self.description,
            "signature": self.signature,
            "input_schema": self.input_schema,
            "remote_invocable": self.options.remote_invocable,
            "mcp_exposed": self.options.mcp_exposed,
            "idempotent": self.options.idempotent,
            "timeout": self.options.timeout,
            "retries": self.options.retries,
        }


async def _await(awaitable: Any) -> Any:
    return await awaitable


class CapabilityRegistry:
    """Capabilities keyed by address, grouped by extension."""

    def __init__(self) -> None:
        self._capabilities: dict[str, Capability] = {}
        self._extensions: dict[str, Extension] = {}
        self.context_factory: ContextFactory | None = None

    def set_context_factory(self, factory: ContextFactory) -> None:
        """How capabilities declaring a `Context` parameter get theirs (set by the runtime)."""
        self.context_factory = factory
        for cap in self._capabilities.values():
            cap.context_factory = factory

    @classmethod
    def from_records(cls, records: list[ExtensionRecord]) -> CapabilityRegistry:
        registry = cls()
        for record in records:
            if record.status == "loaded" and record.extension is not None:
                registry.add(record.extension)
        return registry

    def add(self, extension: Extension) -> list[Capability]:
        if extension.name in self._extensions:
            raise UsageError(f"extension {extension.name} is already registered")
        added = []
        for runner in extension.runners:
            rname = runner_name(runner)
            for fname, func in runner_functions(runner).items():
                cap = Capability(
                    extension.name,
                    rname,
                    fname,
                    func,
                    runner,
                    options_of(func),
                    extension_settings=extension.settings,
                    context_factory=self.context_factory,
                )
                added.append(cap)
        self._extensions[extension.name] = extension
        for cap in added:
            self._capabilities[cap.address] = cap
        return added

    def remove(self, name: str) -> None:
        self._extensions.pop(name, None)
        for address in [a for a, c in self._capabilities.items() if c.extension == name]:
            del self._capabilities[address]

    def get(self, address: str) -> Capability:
        try:
            return self._capabilities[address]
        except KeyError:
            close = difflib.get_close_matches(address, self._capabilities, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "`legion lex list` shows them"
            raise NotFoundError(f"unknown function {address!r}", hint=hint) from None

    def extension(self, name: str) -> Extension:
        try:
            return self._extensions[name]
        except KeyError:
            raise NotFoundError(f"extension {name!r} is not loaded") from None

    def of_extension(self, name: str) -> list[Capability]:
        return [c for c in self._capabilities.values() if c.extension == name]

    @property
    def extensions(self) -> dict[str, Extension]:
        return dict(self._extensions)

    def __iter__(self) -> Iterator[Capability]:
        return iter(sorted(self._capabilities.values(), key=lambda c: c.address))

    def __len__(self) -> int:
        return len(self._capabilities)

    def __contains__(self, address: object) -> bool:
        return address in self._capabilities
