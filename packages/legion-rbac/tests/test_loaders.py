"""Loading from directories of HCL/JSON/YAML files and from a settings mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legion.rbac.engine import Engine
from legion.rbac.errors import PolicyError
from legion.rbac.files import load_file, load_path, load_paths, paths_from_env
from legion.rbac.settings import load_from_settings

OPS_HCL = """path "nodes/*" {
  capabilities = ["read", "update"]
}
"""

OBSERVER_JSON = {
    "name": "auditor",
    "description": "reads tasks",
    "rules": [{"path": "tasks/*", "capabilities": ["read", "list"]}],
}

TEAM_YAML = """enforce: true
roles:
  - name: deployer
    rules:
      - path: extensions/+/deploy
        capabilities: [execute]
      - path: extensions/secret/*
        capabilities: [deny]
assignments:
  user:alice: [ops, deployer]
  key:abc123: [auditor]
  worker:node-1: [worker]
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    (tmp_path / "ops.hcl").write_text(OPS_HCL)
    (tmp_path / "auditor.json").write_text(json.dumps(OBSERVER_JSON, indent=2))
    (tmp_path / "team.yaml").write_text(TEAM_YAML)
    (tmp_path / "notes.txt").write_text("not a policy")
    return tmp_path


def test_directory_loads_every_policy_file(policy_dir: Path) -> None:
    policy = load_path(policy_dir)
    assert sorted(policy.roles) == ["auditor", "deployer", "ops"]
    assert policy.roles["ops"].rules[0].location == f"{policy_dir / 'ops.hcl'}:1"
    assert policy.roles["deployer"].rules[1].line == 7
    assert policy.roles["auditor"].rules[0].line == 6
    assert {a.principal: a.roles for a in policy.assignments} == {
        "user:alice": ("ops", "deployer"),
        "key:abc123": ("auditor",),
        "worker:node-1": ("worker",),
    }
    engine = Engine(policy)
    assert engine.check("user:alice", "nodes/n1", "update").allowed
    assert engine.check("user:alice", "extensions/http/deploy", "execute").allowed
    assert not engine.check("user:alice", "extensions/secret/deploy", "execute").allowed
    assert engine.check("key:abc123", "tasks/1", "list").allowed
    assert engine.check("worker:node-1", "tasks/1", "create").allowed


def test_yml_suffix_and_single_file(tmp_path: Path) -> None:
    file = tmp_path / "one.yml"
    file.write_text("name: one\nrules:\n  - path: a/*\n    capabilities: [read]\n")
    assert list(load_file(file).roles) == ["one"]


def test_same_role_in_two_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.hcl").write_text(OPS_HCL)
    (tmp_path / "b.json").write_text(json.dumps({"name": "a", "rules": []}))
    with pytest.raises(PolicyError, match="role 'a' is defined twice"):
        load_path(tmp_path)


def test_a_file_role_replaces_the_builtin_of_that_name(tmp_path: Path) -> None:
    (tmp_path / "observer.hcl").write_text('path "tasks/*" { capabilities = ["read"] }')
    engine = Engine(load_path(tmp_path))
    engine.assign("user:a", "observer")
    assert engine.check("user:a", "tasks/1", "read").allowed
    assert not engine.check("user:a", "nodes/1", "read").allowed
    assert not engine.role("observer").builtin  # type: ignore[union-attr]


def test_json_validation_error_names_file_line_role_and_path(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    data = {
        "name": "observer",
        "rules": [
            {"path": "tasks/*", "capabilities": ["read"]},
            {"path": "nodes/*", "capabilities": ["read", "fly"]},
        ],
    }
    file.write_text(json.dumps(data, indent=2))
    with pytest.raises(PolicyError) as info:
        load_file(file)
    message = str(info.value)
    assert message.startswith(f"{file}:11: role 'observer', path \"nodes/*\": capabilities: ")
    assert "unknown capability 'fly'" in message


def test_yaml_document_error_points_at_the_right_role(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        "roles:\n"
        "  - name: a\n"
        "    rules:\n"
        "      - path: x/*\n"
        "        capabilities: [read]\n"
        "  - name: b\n"
        "    rules:\n"
        "      - path: x/*\n"
        "        capabilities: [read]\n"
        "        color: blue\n"
    )
    with pytest.raises(PolicyError) as info:
        load_file(file)
    assert str(info.value) == f"{file}:8: role 'b', path \"x/*\": unknown key 'color'"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("broken.json", '{"name": "x",\n "rules": [}', "2: malformed JSON"),
        ("broken.yaml", "roles:\n  - name: [\n", "malformed YAML"),
        ("list.yaml", "- 1\n- 2\n", "expected a mapping"),
        ("who.yaml", "assignments:\n  alice: [worker]\n", "not of the form kind:id"),
        ("none.yaml", "assignments:\n  user:a: []\n", "assigned no roles"),
        ("name.json", '{"name": "bad name!", "rules": []}', "role name 'bad name!'"),
        ("extra.yaml", "rolez: []\n", "unknown key 'rolez'"),
        ("missing.json", '{"roles": [{"rules": []}]}', "'name' is required"),
        ("policy.yaml", "policies:\n  p: 'path \"a\" {'\n", "policies.p:1: malformed HCL"),
        ("policy.txt", "x", "unsupported file type '.txt'"),
    ],
)
def test_file_errors(tmp_path: Path, name: str, content: str, needle: str) -> None:
    file = tmp_path / name
    file.write_text(content)
    with pytest.raises(PolicyError) as info:
        load_file(file)
    assert needle in str(info.value)
    assert str(file) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file or directory"):
        load_paths([tmp_path / "absent"])


def test_empty_yaml_file_is_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    policy = load_path(tmp_path)
    assert policy.roles == {} and policy.assignments == []


def test_sources_merge_in_order_and_last_enforce_wins(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("enforce: false\nassignments:\n  user:a: [worker]\n")
    (tmp_path / "b.yaml").write_text("assignments:\n  user:a: [observer]\n")
    (tmp_path / "c.yaml").write_text("enforce: true\n")
    policy = load_paths([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert policy.enforce is False
    assert Engine(policy).roles_of("user:a") == ("worker", "observer")
    assert load_paths([tmp_path / "a.yaml", tmp_path / "c.yaml"]).enforce is True


def test_env_var_is_split_on_pathsep() -> None:
    import os

    value = os.pathsep.join(["/a", "", "/b"])
    assert paths_from_env({"LEGION_RBAC_POLICIES": value}) == ["/a", "/b"]
    assert paths_from_env({}) == []


def test_settings_section_or_whole_settings() -> None:
    section = {
        "enforce": False,
        "roles": [OBSERVER_JSON],
        "policies": {"ops": OPS_HCL},
        "assignments": {"user:alice": ["ops", "auditor"]},
    }
    for settings in (section, {"rbac": section, "log": {"level": "info"}}):
        policy = load_from_settings(settings)
        assert sorted(policy.roles) == ["auditor", "ops"]
        assert policy.enforce is False
        engine = Engine(policy)
        assert engine.check("user:alice", "nodes/1", "update").allowed
        assert not engine.enforce


def test_settings_errors_name_the_settings() -> None:
    with pytest.raises(PolicyError) as info:
        load_from_settings({"rbac": {"roles": [{"name": "r", "rules": [{"path": "a/*/b"}]}]}})
    message = str(info.value)
    assert message.startswith("settings.rbac: role 'r', path \"a/*/b\": ")
    # pydantic reports both problems; the first is shown and the rest counted
    assert "(and 1 more problem)" in message
