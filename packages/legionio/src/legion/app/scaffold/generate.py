"""`legion generate runner|actor`: grow an existing extension by one runner (and actor).

Each adds a runner module with its test and registers it in `__init__.py`; an actor also gets
its declaration in `actors=[...]`. Everything is checked and rendered before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from legion.app.scaffold.files import CreatedFiles, FilePlan, read_text
from legion.app.scaffold.imports import from_import
from legion.app.scaffold.init_editor import InitEditor
from legion.app.scaffold.locate import ExtensionProject, find_extension
from legion.app.scaffold.names import distribution_name, validate
from legion.app.scaffold.render import render_group
from legion.core.errors import UsageError
from legion.core.extensions.actors import ACTOR_KINDS

# How each kind of actor is declared for a new function; see legion.core.extensions.actors.
DECLARATIONS: dict[str, str] = {
    "every": 'every("{function}", seconds=60)',
    "poll": 'poll("{function}", seconds=60)',
    "once": 'once("{function}", delay=1.0)',
    "loop": 'loop("{function}")',
    "subscription": 'subscription("{function}")',
    "nothing": 'nothing("{function}")',
}


def check_kind(kind: str) -> str:
    if kind not in ACTOR_KINDS:
        raise UsageError(
            f"unknown actor kind {kind!r}", hint=f"use one of: {', '.join(ACTOR_KINDS)}"
        )
    return kind


def check_free(project: ExtensionProject, editor: InitEditor, runner: str) -> None:
    """Refuse a runner that exists, or whose name the package or `__init__.py` already uses."""
    module = project.runners / f"{runner}.py"
    if module.exists() or (project.runners / runner).exists():
        raise UsageError(
            f"runner {runner} already exists: {module}",
            hint="choose another name, or add functions to that runner module",
        )
    if runner in editor.items("runners"):
        raise UsageError(
            f"runner {runner} is already listed in runners=[...] of {project.init}",
            hint="choose another name",
        )
    if runner in editor.bound_names():
        raise UsageError(
            f"runner name {runner!r} would shadow `{runner}`, which {project.init} already binds",
            hint="choose another name",
        )
    if (project.package / f"{runner}.py").exists() or (project.package / runner).is_dir():
        raise UsageError(
            f"runner name {runner!r} would shadow module legion.extensions.{project.name}.{runner}",
            hint="choose another name",
        )


def plan_runner(
    project: ExtensionProject, runner: str, group: str, kind: str | None = None
) -> tuple[FilePlan, InitEditor]:
    """New runner files rendered from `group`, and `__init__.py` importing and listing it."""
    source = read_text(project.init)
    editor = InitEditor(project.init, source)
    check_free(project, editor, runner)
    context = {
        "name": project.name,
        "dist": distribution_name(project.name),
        "runner": runner,
        "kind": kind,
        "from_import": from_import,
    }
    plan = FilePlan(project.root)
    placeholders = {"_name_": project.name, "_runner_": runner}
    for relative, text in sorted(render_group(group, context, placeholders).items()):
        plan.add(project.root.joinpath(relative), text)
    plan.check()
    editor.add_import(f"legion.extensions.{project.name}.runners", runner)
    editor.append("runners", runner)
    return plan, editor


def generate_runner(name: str, *, extension_dir: Path | None = None) -> CreatedFiles:
    """Add `runners/<name>.py` (one function) and its test, and register it in `__init__.py`."""
    runner = validate(name, "runner")
    project = find_extension(extension_dir)
    plan, editor = plan_runner(project, runner, "runner")
    plan.update(project.init, editor.source, editor.result())
    return plan.write()


def generate_actor(
    name: str, *, kind: str = "every", extension_dir: Path | None = None
) -> CreatedFiles:
    """Add a runner `<name>` whose function `<name>` a new `kind` actor triggers, with its test."""
    kind = check_kind(kind)
    runner = validate(name, "actor")
    project = find_extension(extension_dir)
    plan, editor = plan_runner(project, runner, "actor", kind)
    function = f"{runner}.{runner}"
    if any(f'"{function}"' in item or f"'{function}'" in item for item in editor.items("actors")):
        raise UsageError(
            f"an actor on {function} is already declared in {project.init}",
            hint="choose another name",
        )
    editor.add_import("legion.core.sdk", kind)
    editor.append("actors", DECLARATIONS[kind].format(function=function))
    plan.update(project.init, editor.source, editor.result())
    return plan.write()
