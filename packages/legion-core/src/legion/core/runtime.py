"""One node's runtime: settings, catalog, database, stores and engine, opened in the right order.

The CLI (in-process), the daemon and the tests all build it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine as Database

from legion.core.catalog import Catalog
from legion.core.context import Context
from legion.core.engine.engine import Engine
from legion.core.errors import UsageError
from legion.core.extensions.components import LITE_COMPONENTS
from legion.core.logging import logger
from legion.core.registry import Capability
from legion.core.settings.model import Settings
from legion.core.store import migrate
from legion.core.store.database import database_url, open_database
from legion.core.store.relationships import RelationshipStore
from legion.core.store.tasks import TaskStore
from legion.core.telemetry.setup import observer_for
from legion.core.transport.planes import (
    cluster_keyring,
    event_bus,
    is_broker,
    plane_factory,
    secret_responder,
)

if TYPE_CHECKING:
    from legion.core.transport.secret_exchange import SecretResponder


def ensure_schema(db: Database, settings: Settings) -> None:
    """Create a new database; upgrade an old SQLite one; otherwise say exactly what to run."""
    state = migrate.schema_state(db)
    if state.up_to_date:
        return
    is_sqlite = db.dialect.name == "sqlite"
    if state.current is None or is_sqlite:
        logger.info("database schema {} → {}", state.current or "(empty)", state.head)
        migrate.upgrade(db)
        return
    raise UsageError(
        f"the database at {redact_url(database_url(settings))} has schema {state.current}; this "
        f"version needs {state.head}",
        hint="run `legionio db upgrade` (back the database up first)",
    )


def redact_url(url: str) -> str:
    from legion.core.settings.redact import redact_url as redact

    return redact(url)


@dataclass
class Runtime:
    settings: Settings
    catalog: Catalog
    db: Database
    tasks: TaskStore
    relationships: RelationshipStore
    engine: Engine
    # answers other nodes' requests for the cluster secret while started (consuming nodes only)
    secret_responder: SecretResponder | None = None

    @classmethod
    def open(
        cls, settings: Settings, catalog: Catalog | None = None, *, consume: bool = True
    ) -> Runtime:
        """Open the node's parts; `consume=False` only publishes tasks (a full-mode client
        whose tasks run on the workers)."""
        catalog = catalog or Catalog.load(settings, LITE_COMPONENTS)
        db = open_database(settings)
        ensure_schema(db, settings)
        tasks = TaskStore(db, settings.engine.flush_interval)
        relationships = RelationshipStore(db)
        live: dict[str, Engine] = {}
        keyring = cluster_keyring(settings) if is_broker(settings) else None
        plane = plane_factory(
            settings,
            catalog.registry,
            db,
            tasks.flush,
            lambda task_id: live["engine"].live_task(task_id),
            lambda task_id: live["engine"].resume_stored(task_id),
            lambda outcome: live["engine"].finished_elsewhere(outcome),
            keyring=keyring,
            consume=consume,
        )
        bus = event_bus(settings, keyring)
        observer = observer_for(settings, broker=is_broker(settings))
        engine = Engine(
            catalog.registry, tasks, settings.engine, bus=bus, plane=plane, observer=observer
        )
        live["engine"] = engine
        # short-lived clients (consume=False) do not answer: the daemon and workers do
        responder = secret_responder(settings, keyring) if consume else None
        runtime = cls(settings, catalog, db, tasks, relationships, engine, responder)
        catalog.registry.set_context_factory(runtime.context_for)
        runtime.reload_relationships()
        return runtime

    def context_for(self, cap: Capability, task_id: str | None) -> Context:
        settings = self.settings.lex_settings(cap.extension, dict(cap.extension_settings))
        return Context(extension=cap.extension, settings=settings, runtime=self, task_id=task_id)

    def reload_relationships(self) -> None:
        self.engine.relationships.load(self.relationships.list(active_only=True))

    def start(self, *, recover: bool = True) -> int:
        self.engine.bus.start()
        if self.secret_responder is not None:
            self.secret_responder.start(self.settings.transport.connect_timeout)
        return self.engine.start(recover=recover)

    def stop(self) -> None:
        self.engine.stop()
        if self.secret_responder is not None:
            self.secret_responder.stop()
        self.engine.bus.stop()
        self.db.dispose()
