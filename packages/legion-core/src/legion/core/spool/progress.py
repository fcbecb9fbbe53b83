"""A rich progress bar for replays started from a command line; the library itself never prints.

`rich` is imported only here and only when a bar is shown (the CLI package depends on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from legion.core.spool.replay import Progress

if TYPE_CHECKING:
    from rich.console import Console

BAR_THRESHOLD = 2000  # below this a replay is quick enough to need no bar


@contextmanager
def replay_progress(
    total: int, *, threshold: int = BAR_THRESHOLD, console: Console | None = None
) -> Iterator[Progress | None]:
    """A `progress` callback drawing a bar when `total` reaches `threshold`, else None.

    with replay_progress(spool.pending) as progress:
        spool.replay(publish, progress=progress)
    """
    if total < threshold:
        yield None
        return
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    except ImportError:  # pragma: no cover - rich comes with the CLI
        yield None
        return
    columns = (
        "replaying spool",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("replay", total=total)

        def update(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        yield update
