"""Finds installed extensions through the `legion.extensions` entry-point group.

The entry-point scan is cached per process; loading is isolated per extension, so one that
raises on import is reported as failed with its error and never stops the others.
"""

from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from legion.core.extensions.extension import Extension
from legion.core.extensions.profiles import profile_allows
from legion.core.settings.model import Settings

GROUP = "legion.extensions"
Status = Literal["loaded", "failed", "disabled", "skipped"]


@dataclass
class ExtensionRecord:
    """One installed extension and what became of it on this node."""

    name: str
    entry_point: str
    distribution: str | None
    version: str | None
    status: Status
    reason: str | None = None
    traceback: str | None = None
    extension: Extension | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "reason": self.reason,
            "entry_point": self.entry_point,
            "requires": sorted(self.extension.requires) if self.extension else [],
        }


@functools.cache
def installed_entry_points() -> tuple[EntryPoint, ...]:
    return tuple(sorted(entry_points(group=GROUP), key=lambda ep: ep.name))


def clear_cache() -> None:
    """Forget the cached scan, e.g. after installing an extension into the running process."""
    installed_entry_points.cache_clear()


def _dist(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = ep.dist
    return (dist.name, dist.version) if dist is not None else (None, None)


def load_one(ep: EntryPoint, provided: frozenset[str]) -> ExtensionRecord:
    dist_name, dist_version = _dist(ep)
    record = ExtensionRecord(ep.name, ep.value, dist_name, dist_version, "loaded")
    try:
        obj = ep.load()
    except BaseException as exc:  # an extension's import error must never take the node down
        if isinstance(exc, KeyboardInterrupt):
            raise
        record.status = "failed"
        record.reason = f"import failed: {type(exc).__name__}: {exc}"
        record.traceback = traceback.format_exc()
        return record
    if not isinstance(obj, Extension):
        record.status = "failed"
        record.reason = (
            f"entry point {ep.value} is a {type(obj).__name__}, not a legion.core.sdk.Extension"
        )
        return record
    if obj.name != ep.name:
        record.status = "failed"
        record.reason = f"entry point is named {ep.name!r} but the extension says {obj.name!r}"
        return record
    record.extension = obj
    record.version = obj.version
    missing = obj.requires - provided
    if missing:
        record.status = "skipped"
        record.reason = f"requires {', '.join(sorted(missing))}, which this node does not provide"
    return record


def discover(settings: Settings, provided: frozenset[str] = frozenset()) -> list[ExtensionRecord]:
    """Every installed extension, loaded unless disabled, outside the role profile, or broken."""
    records: list[ExtensionRecord] = []
    seen: dict[str, str | None] = {}
    disabled = set(settings.extensions.disabled)
    for ep in installed_entry_points():
        dist_name, dist_version = _dist(ep)
        if ep.name in seen:
            records.append(
                ExtensionRecord(
                    ep.name,
                    ep.value,
                    dist_name,
                    dist_version,
                    "failed",
                    reason=f"duplicate extension name; already provided by {seen[ep.name]}",
                )
            )
            continue
        seen[ep.name] = dist_name
        if ep.name in disabled:
            source = settings.source_of("extensions.disabled")
            records.append(
                ExtensionRecord(
                    ep.name,
                    ep.value,
                    dist_name,
                    dist_version,
                    "disabled",
                    reason=f"disabled by {source}",
                )
            )
            continue
        if not profile_allows(settings.role.profile, ep.name, settings.role.extensions):
            records.append(
                ExtensionRecord(
                    ep.name,
                    ep.value,
                    dist_name,
                    dist_version,
                    "skipped",
                    reason=f"not in role profile {settings.role.profile!r}",
                )
            )
            continue
        records.append(load_one(ep, provided))
    return records
