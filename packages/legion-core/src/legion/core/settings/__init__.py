"""Layered settings: defaults < /etc/legionio/settings < $LEGION_HOME/settings < ./settings <
`LEGION_*` environment < CLI flags, with `env://`/`file://` references and redaction."""

from legion.core.settings.layers import legion_home
from legion.core.settings.loader import load_settings
from legion.core.settings.model import Settings
from legion.core.settings.redact import REDACTED, redact

__all__ = ["REDACTED", "Settings", "legion_home", "load_settings", "redact"]
