"""lex-transformer: the transformations that shape chain arguments, callable as tasks."""

from legion.core.sdk import Extension
from legion.extensions.transformer._version import __version__
from legion.extensions.transformer.runners import template

extension = Extension(
    name="transformer",
    version=__version__,
    description="Renders Jinja or JSONPath transformations against a context, as chains do.",
    runners=[template],
)

__all__ = ["__version__", "extension"]
