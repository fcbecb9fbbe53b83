"""The four roles every Legion node knows: observer, worker, supervisor and admin.

They are written in the same HCL as user policies, so they read like an example and go
through the same validation. A loaded role with the same name replaces the built-in one.
"""

from __future__ import annotations

from functools import cache

from legion.rbac.hcl import parse_hcl_policy
from legion.rbac.model import Role

BUILTIN_SOURCE = "builtin"

# Namespaces a supervisor may change. Listed (not "*") so settings/* stays read-only: a deny
# rule refuses every action, reads included, so it cannot express "read but not write".
SUPERVISED = (
    "tasks",
    "extensions",
    "functions",
    "nodes",
    "workers",
    "schedules",
    "relationships",
    "chains",
    "mcp",
    "llm",
)

OBSERVER = """
description = "Read and list everything; change nothing."

path "*" {
  capabilities = ["read", "list"]
}
"""

WORKER = """
description = "What a worker node needs: read and run extension functions, create and read tasks."

path "extensions/*" {
  capabilities = ["read", "execute"]
}

path "tasks/*" {
  capabilities = ["create", "read"]
}
"""

_SUPERVISOR_HEAD = """
description = "Run the fleet: everything except RBAC itself and changing settings."

path "*" {
  capabilities = ["read", "list"]
}

path "rbac" {
  capabilities = ["deny"]
}

path "rbac/*" {
  capabilities = ["deny"]
}
"""

_SUPERVISED_BLOCK = """
path "{name}/*" {{
  capabilities = ["create", "read", "update", "delete", "list", "execute"]
}}
"""

SUPERVISOR = _SUPERVISOR_HEAD + "".join(_SUPERVISED_BLOCK.format(name=n) for n in SUPERVISED)

ADMIN = """
description = "Everything, including sudo, RBAC and settings."

path "*" {
  capabilities = ["create", "read", "update", "delete", "list", "execute", "sudo"]
}
"""

BUILTIN_POLICIES: dict[str, str] = {
    "observer": OBSERVER,
    "worker": WORKER,
    "supervisor": SUPERVISOR,
    "admin": ADMIN,
}


@cache
def builtin_roles() -> tuple[Role, ...]:
    """The built-in roles, parsed once per process."""
    return tuple(
        parse_hcl_policy(
            text.lstrip(), role=name, source=f"{BUILTIN_SOURCE}/{name}.hcl", builtin=True
        )
        for name, text in BUILTIN_POLICIES.items()
    )
