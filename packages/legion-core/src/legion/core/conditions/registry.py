"""Operator lookup: the built-ins, plus plugins from the `legion.operators` entry-point group.

A plugin entry point names either
  * an `Operator` (from `legion.core.conditions`), for full control: value check, compile-time
    preparation, result for a missing fact; or
  * a plain callable `(actual, expected) -> bool`; give the callable an attribute `unary = True`
    to declare a unary operator, which is then called as `(actual) -> bool` and takes no value.
The entry point's name is the operator's name. A plugin is only called for facts that exist, only
a returned `True` counts as true, and an exception it raises makes the rule false (logged once per
operator). Entry points are scanned on the first lookup of a name that is not built in, and cached
until `clear_cache()`; a plugin that fails to load, is not callable or reuses a built-in name is
logged and skipped, so the built-ins keep working whatever is installed.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from legion.core.conditions.operators import BUILTINS, Operator
from legion.core.logging import logger

GROUP = "legion.operators"

_failed: set[str] = set()


def lookup(name: str) -> Operator | None:
    """The operator called `name`, or None if neither built in nor installed."""
    op = BUILTINS.get(name)
    if op is None:
        op = _plugins().get(name)
    return op


def operator_names() -> list[str]:
    """Every usable operator name, built-ins and loaded plugins, sorted."""
    return sorted({*BUILTINS, *_plugins()})


def clear_cache() -> None:
    """Forget the plugin scan, e.g. after installing an operator package into this process."""
    _plugins.cache_clear()
    _failed.clear()


def operator_failed(name: str, path: str, exc: Exception) -> bool:
    """A raising operator makes its rule false; say so once per operator, not per evaluation."""
    if name not in _failed:
        _failed.add(name)
        logger.opt(exception=exc).warning(
            "operator {!r} raised at {}: {}: {}; such rules count as false",
            name,
            path,
            type(exc).__name__,
            exc,
        )
    return False


@functools.cache
def _plugins() -> dict[str, Operator]:
    found: dict[str, Operator] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        where = f"{ep.name} = {ep.value}"
        if ep.name in BUILTINS:
            logger.warning("operator plugin {} skipped: '{}' is built in", where, ep.name)
            continue
        if ep.name in found:
            logger.warning("operator plugin {} skipped: '{}' is already defined", where, ep.name)
            continue
        try:
            obj = ep.load()
        except BaseException as exc:  # a broken plugin must never take evaluation down
            if isinstance(exc, KeyboardInterrupt):
                raise
            logger.opt(exception=exc).error("operator plugin {} failed to load: {}", where, exc)
            continue
        op = _as_operator(obj)
        if op is None:
            logger.error(
                "operator plugin {} skipped: it is a {}, neither an Operator nor callable",
                where,
                type(obj).__name__,
            )
            continue
        found[ep.name] = op
    return found


def _as_operator(obj: object) -> Operator | None:
    if isinstance(obj, Operator):
        return obj
    if callable(obj):
        return Operator(obj, unary=getattr(obj, "unary", False) is True)
    return None
