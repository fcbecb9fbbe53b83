"""Parsing Vault-style HCL policies, and the errors a broken one produces."""

from __future__ import annotations

import pytest

from legion.rbac.errors import PolicyError
from legion.rbac.hcl import parse_hcl_policy

POLICY = """# tasks for everyone
path "tasks/*" {
  capabilities = ["read", "create"]
}

path "tasks/+/secrets" {
  capabilities = ["deny"]
}

path "extensions/*" {
  capabilities = ["READ", "execute", "read"]
}
"""


def test_blocks_become_rules_with_their_lines() -> None:
    role = parse_hcl_policy(POLICY, role="worker", source="worker.hcl")
    assert role.name == "worker"
    assert [(r.path, r.capabilities, r.line) for r in role.rules] == [
        ("tasks/*", ("read", "create"), 2),
        ("tasks/+/secrets", ("deny",), 6),
        ("extensions/*", ("read", "execute"), 10),  # lower-cased and de-duplicated
    ]
    assert role.rules[1].deny and not role.rules[0].deny
    assert role.rules[0].location == "worker.hcl:2"


def test_description_and_empty_policy() -> None:
    role = parse_hcl_policy('description = "nothing yet"\n', role="empty")
    assert role.description == "nothing yet"
    assert role.rules == ()


def test_syntax_error_carries_the_line() -> None:
    text = 'path "a" {\n  capabilities = ["read"\n}\n'
    with pytest.raises(PolicyError) as info:
        parse_hcl_policy(text, role="x", source="x.hcl")
    assert info.value.line == 3
    assert str(info.value).startswith("x.hcl:3: malformed HCL")
    assert "\n" not in str(info.value)


def test_unknown_capability_names_file_line_role_and_path() -> None:
    text = 'path "a" {\n  capabilities = ["read"]\n}\npath "b/*" {\n  capabilities = ["reed"]\n}\n'
    with pytest.raises(PolicyError) as info:
        parse_hcl_policy(text, role="x", source="x.hcl")
    message = str(info.value)
    assert message.startswith("x.hcl:4: role 'x', path \"b/*\": ")
    assert "unknown capability 'reed'" in message
    assert "create, read, update, delete, list, execute, sudo, deny" in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('path "a/*/b" { capabilities = ["read"] }', "'*' is only allowed as the last"),
        ('path "a" { capabilities = [] }', "list at least one"),
        ('path "a" { }', "capabilities is required"),
        ('path "a" { capabilities = "read" }', "must be a list of strings"),
        ('path "a" { capabilities = ["read"]\n policy = "write" }', "unknown attribute 'policy'"),
        (
            'path "a" { capabilities = ["read"]\n allowed_parameters = {} }',
            "Vault feature Legion does not support",
        ),
        ('path { capabilities = ["read"] }', "needs exactly one quoted pattern"),
        ('path "a" "b" { capabilities = ["read"] }', "one label"),
        ("name = 1", "unknown top-level 'name'"),
    ],
)
def test_policy_errors(text: str, needle: str) -> None:
    with pytest.raises(PolicyError, match=needle.replace("*", r"\*")):
        parse_hcl_policy(text, role="x", source="x.hcl")
