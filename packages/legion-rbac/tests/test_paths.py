"""Vault glob semantics: exact paths, a trailing `*` prefix, `+` for one segment."""

from __future__ import annotations

import pytest

from legion.rbac.paths import PatternError, compile_pattern, path_matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # exact
        ("tasks/1", "tasks/1", True),
        ("tasks/1", "tasks/12", False),
        ("tasks/1", "tasks/1/logs", False),
        ("tasks", "tasks/1", False),
        # trailing * is a plain string prefix, not a segment boundary
        ("tasks/*", "tasks/1", True),
        ("tasks/*", "tasks/1/logs", True),
        ("tasks/*", "tasks/", True),
        ("tasks/*", "tasks", False),
        ("tasks*", "tasks", True),
        ("tasks*", "tasks-archive/1", True),
        ("tasks/a*", "tasks/abc", True),
        ("tasks/a*", "tasks/b", False),
        ("*", "anything/at/all", True),
        # + is exactly one segment
        ("tasks/+/logs", "tasks/1/logs", True),
        ("tasks/+/logs", "tasks/1/2/logs", False),
        ("tasks/+/logs", "tasks/logs", False),
        ("tasks/+/logs", "tasks//logs", True),  # Vault: an empty segment is still a segment
        ("tasks/+", "tasks/1", True),
        ("tasks/+", "tasks/1/2", False),
        ("+/+", "a/b", True),
        ("+/+", "a", False),
        # + and a trailing * together
        ("tasks/+/logs/*", "tasks/1/logs/today", True),
        ("tasks/+/logs/*", "tasks/1/logs", False),
        ("tasks/+/lo*", "tasks/1/logs/x", True),
        ("tasks/+/lo*", "tasks/1/x", False),
        ("tasks/+*", "tasks/1/anything", True),
        ("extensions/+/+/get", "extensions/http/client/get", True),
        ("extensions/+/+/get", "extensions/http/get", False),
    ],
)
def test_vault_glob(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(path, pattern) is expected


def test_leading_slash_is_dropped_like_vault() -> None:
    assert compile_pattern("/tasks/*").text == "tasks/*"
    assert path_matches("tasks/1", "/tasks/*")


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [
        ("tasks/*/logs", "'*' is only allowed as the last character"),
        ("**", "'*' is only allowed as the last character"),
        ("tasks/a+/logs", "'+' must be a whole segment"),
        ("tasks/+a", "'+' must be a whole segment"),
        ("", "may not be empty"),
        ("/", "may not be empty"),
        (" tasks/1", "spaces"),
    ],
)
def test_invalid_patterns_say_why(pattern: str, needle: str) -> None:
    with pytest.raises(PatternError, match=needle.replace("*", r"\*").replace("+", r"\+")):
        compile_pattern(pattern)
