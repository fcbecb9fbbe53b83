"""Two scheduler nodes at once, both ticking (no leader lock), on one PostgreSQL: every due
run of a schedule fires once, because each run is claimed in the database."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import text

from legion.core.catalog import Catalog
from legion.core.extensions.components import LITE_COMPONENTS
from legion.core.settings import load_settings
from legion.core.store.database import open_database
from legion.core.store.migrate import upgrade
from legion.extensions.scheduler.store import ScheduleStore


def test_each_due_run_fires_once_with_two_schedulers(cluster: Any) -> None:
    cluster.env["LEGION_LEX__SCHEDULER__LEADER_LOCK"] = "false"
    settings = load_settings(env=cluster.env)
    assert settings.lex_settings("scheduler", {}).get("leader_lock") is False
    db = open_database(settings)
    try:
        upgrade(db)
        catalog = Catalog.load(settings, LITE_COMPONENTS)
        ScheduleStore(db).create(
            catalog.registry, name="every-second", function="ping.ping.ping", interval=1.0
        )
    finally:
        db.dispose()
    first = cluster.start_workers(processes=1, threads=2)
    second = cluster.start_workers(processes=1, threads=2)
    queue = f"{cluster.prefix}.ping.runners.ping"
    cluster.wait_for("two consumers", lambda: cluster.consumers(queue) == 2, timeout=90)
    count = "SELECT count(*) FROM tasks WHERE function = 'ping.ping.ping'"
    cluster.wait_for("eight scheduled runs", lambda: cluster.count(count) >= 8, timeout=60)
    assert first.poll() is None and second.poll() is None  # both nodes ticked throughout
    engine = cluster.db
    try:
        with engine.connect() as conn:
            created = [
                float(row[0])
                for row in conn.execute(
                    text(
                        "SELECT created_at FROM tasks WHERE function = 'ping.ping.ping' "
                        "ORDER BY created_at"
                    )
                )
            ]
    finally:
        engine.dispose()
    gaps = [b - a for a, b in itertools.pairwise(created)]
    # One run per due second: a double dispatch would put two runs a few ms apart.
    assert min(gaps) > 0.5, gaps
    assert len(created) - 1 <= (created[-1] - created[0]) + 1  # about one run per second
