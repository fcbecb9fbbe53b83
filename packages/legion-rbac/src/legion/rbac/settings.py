"""Load policy from a settings mapping (the `rbac` section), the same schema as the files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from legion.rbac.model import PolicySet
from legion.rbac.schema import DOCUMENT_KEYS, parse_document


def load_from_settings(settings: Mapping[str, Any], *, source: str = "settings") -> PolicySet:
    """Roles, HCL policies, assignments and `enforce` from a dict.

    Accepts the `rbac` section itself or a whole settings mapping that holds one.
    """
    section: Any = settings
    rbac = settings.get("rbac")
    if isinstance(rbac, Mapping) and not any(key in settings for key in DOCUMENT_KEYS):
        section = rbac
        source = f"{source}.rbac" if source == "settings" else source
    return parse_document(dict(section), source=source)
