"""Role profiles: which extensions a node loads (`role.profile`, default: all installed)."""

from __future__ import annotations

CORE = frozenset(
    {
        "conditioner",
        "exec",
        "health",
        "log",
        "metering",
        "node",
        "ping",
        "scheduler",
        "tasker",
        "telemetry",
        "transformer",
    }
)
SERVICE = CORE | frozenset(
    {
        "consul",
        "github",
        "http",
        "microsoft_teams",
        "nomad",
        "redis",
        "s3",
        "tfe",
        "vault",
    }
)
DEV = CORE | frozenset({"llm"})


def profile_allows(profile: str | None, name: str, custom: list[str]) -> bool:
    """Whether `name` belongs to the profile; `None` means every installed extension."""
    if profile is None:
        return True
    if profile == "core":
        return name in CORE
    if profile == "service":
        return name in SERVICE
    if profile == "dev":
        return name in DEV or name.startswith("llm")
    return name in custom
