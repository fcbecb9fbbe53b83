"""The loaded extensions of this node and their capability registry, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from legion.core.errors import NotFoundError
from legion.core.extensions.components import provided_components
from legion.core.extensions.discovery import ExtensionRecord, discover
from legion.core.registry import CapabilityRegistry
from legion.core.settings.model import Settings


@dataclass
class Catalog:
    """What `legion lex list`, the REST API and the MCP server all show."""

    settings: Settings
    records: list[ExtensionRecord]
    registry: CapabilityRegistry

    @classmethod
    def load(cls, settings: Settings, started: frozenset[str] = frozenset()) -> Catalog:
        records = discover(settings, provided_components(settings, started))
        return cls(settings, records, CapabilityRegistry.from_records(records))

    def record(self, name: str) -> ExtensionRecord:
        for record in self.records:
            if record.name == name:
                return record
        known = ", ".join(r.name for r in self.records) or "none"
        raise NotFoundError(
            f"extension {name!r} is not installed (installed: {known})",
            hint=f"install lex-{name} with pip, or create it: `legion lex create {name}`",
        )
