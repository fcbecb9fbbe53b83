"""What routes get injected: the node's `Operations` (the one place operations live)."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from legion.app.operations import Operations
from legion.core.catalog import Catalog


def provide_operations(state: State) -> Operations:
    ops: Operations = state.operations
    return ops


def provide_catalog(state: State) -> Catalog:
    catalog: Catalog = state.catalog
    return catalog


DEPENDENCIES = {
    "ops": Provide(provide_operations, sync_to_thread=False),
    "catalog": Provide(provide_catalog, sync_to_thread=False),
}

Ops = NamedDependency[Operations]
CatalogDep = NamedDependency[Catalog]
