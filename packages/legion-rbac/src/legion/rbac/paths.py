"""Vault's path globs: a trailing `*` is a prefix match and `+` stands for one whole segment.

Patterns are checked once when a policy loads, then compiled to a small matcher, because
the matcher runs for every rule on every uncached decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


class PatternError(ValueError):
    """A path pattern breaks the glob rules; the message says which rule and how to fix it."""


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A compiled pattern: exact, prefix (`*` at the end), and/or with `+` segments."""

    text: str
    glob: bool
    prefix: str
    segments: tuple[str, ...]
    has_plus: bool

    def matches(self, path: str) -> bool:
        """Whether a request path falls under this pattern, the way Vault's ACL decides it."""
        if not self.has_plus:
            return path.startswith(self.prefix) if self.glob else path == self.prefix
        parts = path.split("/")
        segments = self.segments
        count = len(segments)
        if len(parts) < count or (not self.glob and len(parts) != count):
            return False
        last = count - 1
        for i, segment in enumerate(segments):
            if segment == "+":
                continue
            if self.glob and i == last:
                if not parts[i].startswith(segment):
                    return False
            elif parts[i] != segment:
                return False
        return True


def normalize_path(path: str) -> str:
    """Drop leading slashes, as Vault does, so `/tasks/1` and `tasks/1` are the same resource."""
    return path.lstrip("/")


def validate_pattern(text: str) -> str:
    """Return the normalized pattern or raise PatternError naming the broken rule."""
    if not isinstance(text, str):
        raise PatternError("a path must be a string")
    if text != text.strip():
        raise PatternError("a path may not start or end with spaces")
    pattern = normalize_path(text)
    if not pattern:
        raise PatternError('a path may not be empty (use "*" for everything)')
    star = pattern.find("*")
    if star != -1 and star != len(pattern) - 1:
        raise PatternError(
            "'*' is only allowed as the last character (a prefix match); "
            "use '+' for one segment in the middle"
        )
    body = pattern[:-1] if pattern.endswith("*") else pattern
    for segment in body.split("/"):
        if "+" in segment and segment != "+":
            raise PatternError("'+' must be a whole segment (like tasks/+/logs), not part of one")
    return pattern


@lru_cache(maxsize=65536)
def compile_pattern(text: str) -> PathPattern:
    """Validate and compile a pattern; cached because the same patterns are matched constantly."""
    pattern = validate_pattern(text)
    glob = pattern.endswith("*")
    prefix = pattern[:-1] if glob else pattern
    segments = tuple(prefix.split("/"))
    return PathPattern(
        text=pattern,
        glob=glob,
        prefix=prefix,
        segments=segments,
        has_plus="+" in segments,
    )


def path_matches(resource: str, pattern: str) -> bool:
    """`resource` is under `pattern`; the function the casbin matcher calls for each rule."""
    return compile_pattern(pattern).matches(resource)
