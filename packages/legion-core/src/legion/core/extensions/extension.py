"""What an extension declares: its runners, actors, default settings and required components."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from legion.core.extensions.actors import Actor

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
COMPONENTS = frozenset({"data", "cache", "transport", "crypt", "vault", "llm"})


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def runner_name(runner: Any) -> str:
    """A module runner is named by its last segment, a class runner by its snake-cased name."""
    if isinstance(runner, ModuleType):
        return runner.__name__.rsplit(".", 1)[-1]
    if inspect.isclass(runner):
        return snake_case(runner.__name__)
    raise TypeError(f"a runner must be a module or a class, not {type(runner).__name__}")


def runner_functions(runner: Any) -> dict[str, Callable[..., Any]]:
    """Public functions a runner defines itself (not imported helpers, not inherited methods)."""
    found: dict[str, Callable[..., Any]] = {}
    if isinstance(runner, ModuleType):
        names: Iterable[str] = getattr(runner, "__all__", None) or dir(runner)
        for name in names:
            obj = getattr(runner, name, None)
            if (
                not name.startswith("_")
                and inspect.isfunction(obj)
                and (obj.__module__ == runner.__name__ or name in getattr(runner, "__all__", ()))
            ):
                found[name] = obj
    else:
        for name, obj in vars(runner).items():
            if not name.startswith("_") and inspect.isfunction(obj):
                found[name] = obj
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Extension:
    """The object a `legion.extensions` entry point names; one per `lex-<name>` package."""

    name: str
    version: str
    runners: Sequence[Any]
    actors: Sequence[Actor] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    requires: Set[str] = frozenset()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "runners", tuple(self.runners))
        object.__setattr__(self, "actors", tuple(self.actors))
        object.__setattr__(self, "requires", frozenset(self.requires))
        object.__setattr__(self, "settings", dict(self.settings))
        if not NAME.match(self.name):
            raise ValueError(f"extension name {self.name!r} must match {NAME.pattern}")
        unknown = self.requires - COMPONENTS
        if unknown:
            raise ValueError(
                f"extension {self.name}: unknown required components {sorted(unknown)}; "
                f"known: {sorted(COMPONENTS)}"
            )
        names = [runner_name(r) for r in self.runners]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"extension {self.name}: duplicate runner names {sorted(duplicates)}")
        declared = {f"{runner_name(r)}.{fn}" for r in self.runners for fn in runner_functions(r)}
        for actor in self.actors:
            if actor.function not in declared:
                raise ValueError(
                    f"extension {self.name}: actor {actor.kind} names {actor.function}, "
                    f"which is not a runner function (have: {', '.join(sorted(declared))})"
                )

    @property
    def runner_map(self) -> dict[str, Any]:
        return {runner_name(r): r for r in self.runners}
