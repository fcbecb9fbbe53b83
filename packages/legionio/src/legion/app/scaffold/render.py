"""Renders a group of the packaged jinja2 templates into file texts, in memory.

Templates live in `templates/<group>/` and mirror the output tree. Names are mapped as follows:
`.j2` is dropped, `_name_` becomes the extension name and `_runner_` the runner name, and
`_BUILD` becomes `BUILD` (a file called `BUILD.*` inside this package would be read by Pants).
Autoescaping is off because these are code files; undefined variables are errors.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import jinja2

SUFFIX = ".j2"


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("legion.app.scaffold", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def groups() -> set[str]:
    """Names of the template groups that exist in the package."""
    return {name.split("/", 1)[0] for name in environment().list_templates()}


def output_path(relative: str, placeholders: Mapping[str, str]) -> PurePosixPath:
    """Where a template (path relative to its group) is written, relative to the output root."""
    path = relative.removesuffix(SUFFIX)
    for token, value in placeholders.items():
        path = path.replace(token, value)
    out = PurePosixPath(path)
    return out.with_name("BUILD") if out.name == "_BUILD" else out


def render_group(
    group: str, context: Mapping[str, Any], placeholders: Mapping[str, str]
) -> dict[PurePosixPath, str]:
    """Every template of `group`, rendered with `context`, keyed by its output path."""
    env = environment()
    prefix = f"{group}/"
    names = env.list_templates(filter_func=lambda n: n.startswith(prefix) and n.endswith(SUFFIX))
    if not names:
        raise LookupError(f"no templates in group {group!r}")
    return {
        output_path(name.removeprefix(prefix), placeholders): env.get_template(name).render(context)
        for name in names
    }
