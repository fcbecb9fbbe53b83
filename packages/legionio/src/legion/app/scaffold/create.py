"""`legion lex create`: a complete `lex-<name>` project whose tests pass as generated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from legion.app.scaffold.files import CreatedFiles, FilePlan
from legion.app.scaffold.imports import from_import
from legion.app.scaffold.names import class_prefix, distribution_name, validate
from legion.app.scaffold.render import render_group
from legion.app.scaffold.workspace import placement
from legion.core.errors import UsageError

TEMPLATES: tuple[str, ...] = ("basic", "scheduled-task", "service-integration")


@dataclass(frozen=True)
class TemplateSpec:
    """What differs between templates besides their files: `{name}`/`{dist}` are filled in."""

    description: str
    functions: tuple[str, ...]
    dependencies: tuple[str, ...] = ()


SPECS: dict[str, TemplateSpec] = {
    "basic": TemplateSpec("Says hello; replace this with what {dist} does.", ("hello",)),
    "scheduled-task": TemplateSpec("Runs {name}.{name}.tick on a schedule.", ("tick",)),
    "service-integration": TemplateSpec(
        "Calls the {name} service's HTTP API.", ("fetch",), ("httpx>=0.27",)
    ),
}


def core_requirement() -> str:
    """`legion-core>=X.Y,<X.(Y+1)` for 0.x (`<X+1` from 1.0), from the installed legion-core."""
    try:
        version = metadata.version("legion-core")
    except metadata.PackageNotFoundError:
        from legion.core import __version__ as version
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"cannot read a MAJOR.MINOR version from legion-core {version!r}")
    major, minor = int(match[1]), int(match[2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"legion-core>={major}.{minor},<{upper}"


def template_context(name: str, template: str, root: Path) -> dict[str, Any]:
    spec = SPECS[template]
    dist = distribution_name(name)
    where = placement(root)
    return {
        "name": name,
        "dist": dist,
        "template": template,
        "class_prefix": class_prefix(name),
        "description": spec.description.format(name=name, dist=dist),
        "dependencies": [core_requirement(), *spec.dependencies],
        "addresses": [f"{name}.{name}.{function}" for function in spec.functions],
        "in_workspace": where.in_workspace,
        "pants_path": str(where.rel) if where.rel is not None else f"extensions/{dist}",
        "from_import": from_import,
    }


def target_root(name: str, path: Path | None) -> Path:
    parent = (path if path is not None else Path.cwd()).absolute()
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{parent} is not a directory", hint="pass a directory to create it in")
    root = parent / distribution_name(name)
    if root.exists() or root.is_symlink():
        raise UsageError(
            f"{root} already exists",
            hint="choose another name or directory, or move the existing one away first",
        )
    return root


def create_extension(
    name: str, *, template: str = "basic", path: Path | None = None
) -> CreatedFiles:
    """Write `lex-<name>/` in `path` (default: cwd) from `template`; nothing is written on error."""
    if template not in TEMPLATES:
        raise UsageError(
            f"unknown template {template!r}", hint=f"choose one of: {', '.join(TEMPLATES)}"
        )
    name = validate(name, "extension")
    root = target_root(name, path)
    context = template_context(name, template, root)
    placeholders = {"_name_": name}
    rendered = {
        **render_group("common", context, placeholders),
        **render_group(template, context, placeholders),
    }
    plan = FilePlan(root)
    for relative, text in sorted(rendered.items()):
        plan.add(root.joinpath(relative), text)
    return plan.write()
