"""Key paths like `model_list[2].litellm_params.model`, and the YAML line they sit on, so every
config error points at the exact spot to fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the env

Part = str | int


def join(parent: str, child: object) -> str:
    if isinstance(child, int) and not isinstance(child, bool):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else str(child)


def render(parts: Sequence[object]) -> str:
    path = ""
    for part in parts:
        path = join(path, part)
    return path


def line_of(text: str, parts: Sequence[object]) -> int | None:
    """The 1-based line of the deepest key of `parts` found in the YAML text (the parent's line
    when the key itself is missing); None when the text does not parse."""
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    for part in parts:
        found = _child(node, part)
        if found is None:
            break
        marker, node = found
        line = marker.start_mark.line + 1
    return line


def _child(node: Any, part: object) -> tuple[Any, Any] | None:
    """(the node to point at, the node to descend into) for one path part."""
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part], node.value[part]
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    return None
