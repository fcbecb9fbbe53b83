"""Everything an extension author imports: `from legion.core.sdk import Extension, every, ...`."""

from legion.core.extensions.actors import Actor, every, loop, nothing, once, poll, subscription
from legion.core.extensions.capability import capability
from legion.core.extensions.extension import Extension

__all__ = [
    "Actor",
    "Extension",
    "capability",
    "every",
    "loop",
    "nothing",
    "once",
    "poll",
    "subscription",
]
