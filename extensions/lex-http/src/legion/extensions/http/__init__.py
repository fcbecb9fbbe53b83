"""lex-http: HTTP requests as capabilities, bounded by a timeout and a response size limit."""

from legion.core.sdk import Extension
from legion.extensions.http._version import __version__
from legion.extensions.http.defaults import SETTINGS
from legion.extensions.http.runners import request

extension = Extension(
    name="http",
    version=__version__,
    description="GET, POST, PUT and DELETE any http(s) URL; JSON responses come back parsed.",
    runners=[request],
    settings=SETTINGS,
)

__all__ = ["__version__", "extension"]
