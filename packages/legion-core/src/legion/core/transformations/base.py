"""What every compiled transformation offers the engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from legion.core.transformations.limits import DEFAULT_MAX_BYTES
from legion.core.transformations.output import Arguments


class Transformation(ABC):
    """A compiled transformation: immutable, so one instance serves every thread and every render.

    `render` turns a context (`results`, `args`, `task`, `payload`) into the follow-up's
    arguments: an object, or a list of objects for one follow-up each.
    """

    __slots__ = ()

    engine: ClassVar[str]
    text: str

    @abstractmethod
    def render(
        self, context: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> Arguments:
        """The arguments for the follow-up task; raises `TransformationError`."""

    def __reduce__(self) -> tuple[Any, ...]:
        # compiled code does not pickle; the text recompiles to the same transformation
        from legion.core.transformations import compile_transformation

        return (compile_transformation, (self.text, self.engine))


def check_max_bytes(max_bytes: int) -> None:
    if type(max_bytes) is not int or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
