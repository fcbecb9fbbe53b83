"""Secret references in config values (`os.environ/NAME`, LiteLLM's form, and `env://NAME`) and a
string type that keeps resolved secrets out of reprs, so a logged Deployment never shows a key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REFERENCE_PREFIXES = ("os.environ/", "env://")

# Parameter and header names whose values are credentials even when written inline.
_SECRET_NAME = re.compile(
    r"(api[_-]?key|access[_-]?key|secret|token|password|passwd|credentials?|authorization"
    r"|private[_-]?key)$",
    re.IGNORECASE,
)


class Secret(str):
    """A str whose repr is masked: dict and dataclass reprs print `'***'` instead of the value.
    `str()` and every string operation still see the real value, so clients can use it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def reference_name(value: object) -> str | None:
    """The variable a reference names, or None when `value` is not a reference."""
    if isinstance(value, str):
        for prefix in REFERENCE_PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix) :].strip()
    return None


class MissingVariable(Exception):
    """A reference whose variable is set neither in the environment nor in the config."""

    def __init__(self, key: tuple[object, ...], variable: str) -> None:
        super().__init__(f"environment variable {variable} is not set")
        self.key = key
        self.variable = variable


class SecretResolver:
    """Looks references up in the environment first, then in the config's
    `environment_variables` (LiteLLM applies those as defaults too)."""

    def __init__(self, env: Mapping[str, str], defaults: Mapping[str, str]) -> None:
        self._env = env
        self._defaults = defaults

    def resolve(self, value: Any, key: tuple[object, ...]) -> Any:
        """`value` with a reference replaced by a `Secret`; anything else unchanged."""
        name = reference_name(value)
        if name is None:
            return value
        if name in self._env:
            return Secret(self._env[name])
        if name in self._defaults:
            return Secret(self._defaults[name])
        raise MissingVariable(key, name)

    def resolve_tree(self, value: Any, key: tuple[object, ...]) -> Any:
        """Resolve references in nested dicts and lists; `key` is the path of `value`, extended
        for each child so a missing variable is reported under the exact key."""
        if isinstance(value, dict):
            return {k: self.resolve_tree(v, (*key, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve_tree(v, (*key, i)) for i, v in enumerate(value)]
        return self.resolve(value, key)


def mask(name: str, value: Any) -> Any:
    """Wrap a string value in `Secret` when its name says it is a credential."""
    if isinstance(value, str) and not isinstance(value, Secret) and is_secret_name(name):
        return Secret(value)
    return value
