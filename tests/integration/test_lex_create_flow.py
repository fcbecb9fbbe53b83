"""The extension author's story, in a fresh virtualenv: install Legion, `legion lex create demo`,
`legion generate runner`, install the new package, see it loaded, run its tests.

Every first-party distribution is installed from its directory in this checkout (names like
legion-* and lex-* on PyPI belong to others and must never be fetched); third-party packages are
pinned to uv.lock. Slow (a venv and an install), but uv's cache keeps it to seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 900
# Reads each first-party distribution's PEP 610 record: where the venv installed it from.
ORIGINS = """
import json
from importlib.metadata import distributions
out = {}
for dist in distributions():
    name = dist.metadata["Name"].lower().replace("_", "-")
    if name.startswith(("legion-", "lex-")) or name in ("legion", "legionio"):
        out[name] = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
print(json.dumps(out))
"""


def load_workspace_tool() -> ModuleType:
    """tools/workspace.py, the one reader of the workspace, imported by path under its own name."""
    name = "legion_workspace_tool"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "workspace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_uv() -> list[str]:
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    on_path = shutil.which("uv")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    pytest.skip("uv not found: set UV=/path/to/uv or put uv on PATH (./test does)")


def clean_env(home: Path) -> dict[str, str]:
    """No Python downloads, nothing from the running venv, Legion settings from `home` only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"} and not k.startswith("LEGION_")
    }
    env.update(
        {
            "UV_PYTHON_DOWNLOADS": "never",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LEGION_HOME": str(home),
            "LEGION_SETTINGS_DIRS": str(home / "settings"),
            "NO_COLOR": "1",
        }
    )
    return env


def run(command: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a step; on failure, fail the test with the command and everything it printed."""
    done = subprocess.run(
        list(command),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"$ {' '.join(command)}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def first_party_dirs() -> list[Path]:
    """legionio and every in-repo distribution it needs; fail if it needs one not in the repo."""
    tool = load_workspace_tool()
    workspace = tool.Workspace.load(ROOT)
    keys = workspace.closure(["legionio"], include_test=False)
    for key in keys:
        dist = workspace.distributions[key]
        for requirement in workspace.first_party_requirements(dist, include_test=False):
            assert requirement.key in workspace.distributions, (
                f"{dist.name} requires {requirement.name}, which is not in this checkout; "
                "it would be fetched from an index"
            )
    return [workspace.distributions[key].path for key in keys]


def constraints(uv: list[str], out: Path, env: dict[str, str]) -> Path:
    """uv.lock's third-party pins, so the venv gets the versions the workspace is tested with."""
    run(
        [
            *uv,
            "export",
            "--all-packages",
            "--all-groups",
            "--frozen",
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
            "--output-file",
            str(out),
        ],
        ROOT,
        env,
    )
    return out


def entries(listing: Any) -> list[dict[str, Any]]:
    """The rows of `legion lex list --json`, whether a bare list or wrapped in {"data": [...]}."""
    rows = listing.get("data", listing) if isinstance(listing, dict) else listing
    assert isinstance(rows, list), f"unexpected `lex list --json` shape: {listing!r}"
    return rows


def test_create_install_list_and_test_a_new_extension(tmp_path: Path) -> None:
    uv = find_uv()
    home = tmp_path / "home"
    (home / "settings").mkdir(parents=True)
    env = clean_env(home)
    venv = tmp_path / "venv"
    python, legion = venv / "bin" / "python", venv / "bin" / "legion"
    pins = constraints(uv, tmp_path / "constraints.txt", env)

    run([*uv, "venv", "--no-project", "--python", sys.executable, str(venv)], tmp_path, env)
    local = [arg for path in first_party_dirs() for arg in ("-e", str(path))]
    install = [
        *uv,
        "pip",
        "install",
        "--python",
        str(python),
        "--no-sources",
        "--constraints",
        str(pins),
    ]
    run([*install, *local], tmp_path, env)

    created = json.loads(
        run(
            [str(legion), "lex", "create", "demo", "--path", str(tmp_path), "--json"], tmp_path, env
        )
    )
    project = tmp_path / "lex-demo"
    assert Path(created["root"]) == project
    run([str(legion), "generate", "runner", "billing", "--json"], project / "tests", env)

    # Its legion-core requirement is met by the checkout's, installed above (checked below).
    test_group = tomllib.loads((project / "pyproject.toml").read_text())["dependency-groups"]
    run([*install, "-e", str(project), *test_group["test"]], tmp_path, env)

    origins = json.loads(run([str(python), "-c", ORIGINS], tmp_path, env))
    assert origins.get("lex-demo", "").startswith("file://")
    fetched = {name: url for name, url in origins.items() if not url.startswith("file://")}
    assert fetched == {}, f"first-party distributions not installed from the checkout: {fetched}"

    listing = json.loads(run([str(legion), "lex", "list", "--json"], tmp_path, env))
    demo = [row for row in entries(listing) if row.get("name") == "demo"]
    assert len(demo) == 1, listing
    assert demo[0]["status"] == "loaded", demo[0]
    assert demo[0]["distribution"] == "lex-demo"
    assert {"demo", "billing"} <= set(demo[0]["runners"])
    if "functions" in demo[0]:
        assert {"demo.demo.hello", "demo.billing.billing"} <= set(demo[0]["functions"])

    output = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
    assert " passed" in output and "failed" not in output
