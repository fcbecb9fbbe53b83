"""legion-rbac: Vault-style policies, roles and assignments, enforced through casbin.

Standalone on purpose (no other legion package is imported), so any service can embed it.
"""

from legion.rbac._version import __version__
from legion.rbac.builtin import builtin_roles
from legion.rbac.capabilities import ACTIONS, Capability
from legion.rbac.decision import Decision
from legion.rbac.engine import Engine
from legion.rbac.errors import MissingDependencyError, PolicyError, RbacError, RequestError
from legion.rbac.files import load_file, load_path, load_paths
from legion.rbac.hcl import parse_hcl_policy
from legion.rbac.model import Assignment, PolicySet, Role, Rule
from legion.rbac.paths import compile_pattern, path_matches
from legion.rbac.settings import load_from_settings
from legion.rbac.vault import load_from_vault

__all__ = [
    "ACTIONS",
    "Assignment",
    "Capability",
    "Decision",
    "Engine",
    "MissingDependencyError",
    "PolicyError",
    "PolicySet",
    "RbacError",
    "RequestError",
    "Role",
    "Rule",
    "__version__",
    "builtin_roles",
    "compile_pattern",
    "load_file",
    "load_from_settings",
    "load_from_vault",
    "load_path",
    "load_paths",
    "parse_hcl_policy",
    "path_matches",
]
