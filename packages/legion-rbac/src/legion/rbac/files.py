"""Load policy from files and directories: `*.hcl` (one role per file), `*.json`, `*.yaml`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the env

from legion.rbac.errors import PolicyError
from legion.rbac.hcl import parse_hcl_policy
from legion.rbac.model import PolicySet
from legion.rbac.schema import parse_document

HCL_SUFFIXES = (".hcl",)
JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")
POLICY_SUFFIXES = HCL_SUFFIXES + JSON_SUFFIXES + YAML_SUFFIXES
ENV_VAR = "LEGION_RBAC_POLICIES"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            "no such file or directory; point at an existing policy file or directory",
            source=str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read it ({exc})", source=str(path)) from None


def _load_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"malformed JSON at column {exc.colno}: {exc.msg}", source=source, line=exc.lineno
        ) from None


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise PolicyError(f"malformed YAML: {problem}", source=source, line=line) from None


def load_file(path: str | os.PathLike[str]) -> PolicySet:
    """One policy file; the role of an HCL file is named after the file (`worker.hcl`)."""
    file = Path(path)
    source = str(file)
    suffix = file.suffix.lower()
    if suffix not in POLICY_SUFFIXES:
        raise PolicyError(
            f"unsupported file type {suffix or '(none)'!r}; use " + ", ".join(POLICY_SUFFIXES),
            source=source,
        )
    text = _read(file)
    if suffix in HCL_SUFFIXES:
        result = PolicySet()
        result.add_role(parse_hcl_policy(text, role=file.stem, source=source))
        return result
    data = _load_json(text, source) if suffix in JSON_SUFFIXES else _load_yaml(text, source)
    return parse_document(data, source=source, text=text)


def policy_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The policy files directly in a directory, in name order (so loading is repeatable)."""
    folder = Path(directory)
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in POLICY_SUFFIXES
    )


def load_path(path: str | os.PathLike[str]) -> PolicySet:
    """A file, or every policy file in a directory."""
    target = Path(path)
    if target.is_dir():
        return PolicySet.combine(load_file(p) for p in policy_files(target))
    if not target.exists():
        raise PolicyError(
            "no such file or directory; point at an existing policy file or directory",
            source=str(target),
        )
    return load_file(target)


def load_paths(paths: Iterable[str | os.PathLike[str]]) -> PolicySet:
    """Several files or directories, merged in order."""
    return PolicySet.combine(load_path(p) for p in paths)


def paths_from_env(environ: dict[str, str] | None = None) -> list[str]:
    """The sources named by LEGION_RBAC_POLICIES (os.pathsep-separated), empty parts skipped."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return [part for part in value.split(os.pathsep) if part.strip()]
