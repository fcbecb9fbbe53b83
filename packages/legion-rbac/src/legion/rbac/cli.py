"""`legion rbac`: list roles and check decisions from the command line.

Exit codes of `check`: 0 allowed, 1 denied, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from legion.rbac.decision import Decision
from legion.rbac.engine import Engine
from legion.rbac.errors import RbacError
from legion.rbac.files import ENV_VAR, load_paths, paths_from_env
from legion.rbac.model import PolicySet, Role

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_ALLOWED, EXIT_DENIED, EXIT_BAD_INPUT = 0, 1, 2


def _policies_option(func: F) -> F:
    return click.option(
        "--policies",
        "policies",
        multiple=True,
        metavar="PATH",
        help=f"Policy file or directory (repeatable). Default: ${ENV_VAR} (os.pathsep-separated).",
    )(func)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _engine(ctx: click.Context, policies: Sequence[str]) -> Engine:
    """Built-in roles plus the named sources (or the env var's when none are named)."""
    group_paths: list[str] = list((ctx.obj or {}).get("policies", ()))
    paths = group_paths + list(policies) or paths_from_env()
    try:
        return Engine(load_paths(paths) if paths else PolicySet())
    except RbacError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read policy sources: {exc}")


@click.group(context_settings=CONTEXT)
@_policies_option
@click.pass_context
def main(ctx: click.Context, policies: tuple[str, ...]) -> None:
    """Roles and policies: list roles, check a decision."""
    ctx.ensure_object(dict)
    ctx.obj["policies"] = policies


def _assigned(engine: Engine) -> dict[str, list[str]]:
    by_role: dict[str, list[str]] = {}
    for principal, roles in engine.assignments().items():
        for role in roles:
            by_role.setdefault(role, []).append(principal)
    return by_role


def _echo_role(role: Role, principals: Sequence[str]) -> None:
    kind = "built-in" if role.builtin else (role.source or "loaded")
    click.echo(f"{role.name}  ({kind})")
    if role.description:
        click.echo(f"  {role.description}")
    width = max((len(r.path) for r in role.rules), default=0) + 2
    for rule in role.rules:
        path = f'"{rule.path}"'
        click.echo(f"  path {path:<{width}} {', '.join(rule.capabilities)}")
    if principals:
        click.echo(f"  assigned to: {', '.join(principals)}")


@main.command()
@_policies_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def roles(ctx: click.Context, policies: tuple[str, ...], as_json: bool) -> None:
    """List roles with their rules (and who holds them)."""
    engine = _engine(ctx, policies)
    assigned = _assigned(engine)
    if as_json:
        payload = {
            "enforce": engine.enforce,
            "roles": [role.to_dict() for role in engine.roles()],
            "assignments": {p: list(r) for p, r in engine.assignments().items()},
        }
        click.echo(json.dumps(payload, indent=2))
        return
    if not engine.enforce:
        click.echo("audit mode (enforce: false): refusals are logged, not enforced\n")
    for index, role in enumerate(engine.roles()):
        if index:
            click.echo("")
        _echo_role(role, assigned.get(role.name, []))


def _echo_decision(decision: Decision) -> None:
    if decision.would_deny:
        verdict = "ALLOWED (audit mode: would deny)"
    else:
        verdict = "ALLOWED" if decision.allowed else "DENIED"
    click.echo(f"{verdict}: {decision.principal} {decision.action} {decision.resource}")
    if decision.rule is not None:
        click.echo(f"  rule:   {decision.rule.describe()}")
    else:
        click.echo(f"  reason: {decision.reason}")
    click.echo(f"  roles:  {', '.join(decision.roles) or '(none)'}")


@main.command()
@click.argument("principal")
@click.argument("resource")
@click.argument("action")
@_policies_option
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def check(
    ctx: click.Context,
    principal: str,
    resource: str,
    action: str,
    policies: tuple[str, ...],
    as_json: bool,
) -> None:
    """Decide whether PRINCIPAL may do ACTION on RESOURCE.

    Example: legion rbac check user:alice tasks/42 read. Exit 0 allowed, 1 denied, 2 bad input.
    """
    engine = _engine(ctx, policies)
    try:
        decision = engine.check(principal, resource, action)
    except RbacError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2))
    else:
        _echo_decision(decision)
    sys.exit(EXIT_ALLOWED if decision.allowed else EXIT_DENIED)


if __name__ == "__main__":
    main()
