"""Scaffolding for extensions: `legion lex create` and `legion generate runner|actor`.

Every function validates its input and renders all files in memory before writing any, so a
refused name or an existing target leaves the disk untouched; errors are `UsageError`s.
"""

from legion.app.scaffold.create import TEMPLATES, create_extension
from legion.app.scaffold.files import CreatedFiles
from legion.app.scaffold.generate import generate_actor, generate_runner

__all__ = ["TEMPLATES", "CreatedFiles", "create_extension", "generate_actor", "generate_runner"]
