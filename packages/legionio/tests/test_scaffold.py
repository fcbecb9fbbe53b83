"""`legion lex create` / `legion generate`: generated projects pass their own tests and lint,
and every refused request leaves the disk exactly as it was."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from legion.app.scaffold import (
    TEMPLATES,
    CreatedFiles,
    create_extension,
    generate_actor,
    generate_runner,
)
from legion.app.scaffold import create as create_module
from legion.app.scaffold import files as files_module
from legion.core.errors import LegionError, UsageError
from legion.core.extensions.actors import ACTOR_KINDS

HAS_RUFF = importlib.util.find_spec("ruff") is not None

COMMON_FILES = {
    "BUILD",
    "CHANGELOG.md",
    "README.md",
    "pyproject.toml",
    "src/BUILD",
    "src/legion/extensions/demo/__init__.py",
    "src/legion/extensions/demo/_version.py",
    "src/legion/extensions/demo/py.typed",
    "src/legion/extensions/demo/runners/__init__.py",
    "src/legion/extensions/demo/runners/demo.py",
    "tests/BUILD",
    "tests/test_demo.py",
    "tests/test_extension.py",
}
EXTRA_FILES = {
    "basic": set(),
    "scheduled-task": {"src/legion/extensions/demo/settings.py"},
    "service-integration": {
        "src/legion/extensions/demo/client.py",
        "src/legion/extensions/demo/settings.py",
    },
}


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and directory (None) under `root`, for before/after checks."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        found[path.relative_to(root).as_posix()] = path.read_bytes() if path.is_file() else None
    return found


def relative(created: CreatedFiles) -> set[str]:
    return {f.relative_to(created.root).as_posix() for f in created.files}


def run_tests(project: Path) -> subprocess.CompletedProcess[str]:
    """The generated project's own tests, with this interpreter and only its src/ added."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_ruff(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_passes(project: Path) -> None:
    result = run_tests(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    if HAS_RUFF:
        lint = run_ruff(project)
        assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty directory of the test's own (tmp_path also holds the test's LEGION_HOME)."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CreatedFiles]:
    """One untouched `lex-demo` per template; tests must not modify these."""
    made = {}
    for template in TEMPLATES:
        made[template] = create_extension(
            "demo", template=template, path=tmp_path_factory.mktemp(template)
        )
    return made


# --- what gets written --------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_writes_the_whole_project(
    generated: dict[str, CreatedFiles], template: str
) -> None:
    created = generated[template]
    assert created.root.name == "lex-demo"
    assert relative(created) == COMMON_FILES | EXTRA_FILES[template]
    assert all(f.is_file() for f in created.files)
    assert relative(created) == {k for k, v in tree(created.root).items() if v is not None}
    src = created.root / "src"
    assert not (src / "legion" / "__init__.py").exists()
    assert not (src / "legion" / "extensions" / "__init__.py").exists()


@pytest.mark.parametrize("template", TEMPLATES)
def test_pyproject_declares_the_extension(
    generated: dict[str, CreatedFiles], template: str
) -> None:
    data = tomllib.loads((generated[template].root / "pyproject.toml").read_text())
    project = data["project"]
    assert project["name"] == "lex-demo"
    assert project["dynamic"] == ["version"]
    assert project["requires-python"] == ">=3.11"
    assert project["entry-points"]["legion.extensions"] == {
        "demo": "legion.extensions.demo:extension"
    }
    assert create_module.core_requirement() in project["dependencies"]
    assert ("httpx>=0.27" in project["dependencies"]) == (template == "service-integration")
    assert data["dependency-groups"]["test"] == ["pytest>=8"]
    assert data["tool"]["hatch"]["version"]["path"] == "src/legion/extensions/demo/_version.py"
    assert data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/legion"]
    assert "--import-mode=importlib" in data["tool"]["pytest"]["ini_options"]["addopts"]
    assert "uv" not in data["tool"]  # outside a uv workspace: no workspace sources
    build = (generated[template].root / "BUILD").read_text()
    assert 'provides=python_artifact(name="lex-demo")' in build
    assert "generate_setup=False" in build


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", "legion-core>=0.1,<0.2"),
        ("0.12.3", "legion-core>=0.12,<0.13"),
        ("1.4.0", "legion-core>=1.4,<2"),
    ],
)
def test_the_core_requirement_follows_the_installed_legion_core(
    monkeypatch: pytest.MonkeyPatch, version: str, expected: str
) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: version)
    assert create_module.core_requirement() == expected


def test_inside_a_uv_workspace_legion_core_comes_from_the_workspace(work: Path) -> None:
    (work / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*", "extensions/*"]\n\n'
        "[tool.uv.sources]\nlegion-core = { workspace = true }\n"
    )
    created = create_extension("demo", path=work / "extensions")
    data = tomllib.loads((created.root / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["sources"] == {"legion-core": {"workspace": True}}
    assert '"//extensions/lex-demo:dist"' in (created.root / "tests" / "BUILD").read_text()


def test_an_underscored_name_gets_a_hyphenated_distribution(work: Path) -> None:
    created = create_extension("my_api", template="service-integration", path=work)
    assert created.root == work / "lex-my-api"
    client = created.root / "src/legion/extensions/my_api/client.py"
    assert "class MyApiClient:" in client.read_text()


def test_created_files_serialise_for_json(generated: dict[str, CreatedFiles]) -> None:
    data = generated["basic"].to_dict()
    assert data["root"] == str(generated["basic"].root)
    assert sorted(data["files"]) == sorted(str(f) for f in generated["basic"].files)


def test_the_default_directory_is_the_current_one(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    assert create_extension("demo").root == work / "lex-demo"


# --- generated projects work as generated ---------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_generated_tests_pass_and_lint_clean(
    generated: dict[str, CreatedFiles], template: str
) -> None:
    assert_passes(generated[template].root)


@pytest.mark.parametrize("template", TEMPLATES)
def test_runners_and_actors_added_by_the_generators_pass_too(work: Path, template: str) -> None:
    root = create_extension("demo", template=template, path=work).root
    runner = generate_runner("billing", extension_dir=root)
    assert relative(runner) == {
        "src/legion/extensions/demo/__init__.py",
        "src/legion/extensions/demo/runners/billing.py",
        "tests/test_billing.py",
    }
    actor = generate_actor("nightly", extension_dir=root / "src" / "legion")
    assert relative(actor) == {
        "src/legion/extensions/demo/__init__.py",
        "src/legion/extensions/demo/runners/nightly.py",
        "tests/test_nightly.py",
    }
    init = (root / "src/legion/extensions/demo/__init__.py").read_text()
    assert 'every("nightly.nightly", seconds=60)' in init
    assert_passes(root)


def test_every_actor_kind_and_many_runners_stay_lint_clean(work: Path) -> None:
    root = create_extension("demo", template="scheduled-task", path=work).root
    for name in ("v10", "v2", "alpha_beta", "alphabeta"):  # natural order, underscores
        generate_runner(name, extension_dir=root)
    for kind in ACTOR_KINDS:
        generate_actor(f"on_{kind}", kind=kind, extension_dir=root)
    init = (root / "src/legion/extensions/demo/__init__.py").read_text()
    assert "from legion.core.sdk import Extension, every, loop, nothing, once, poll" in init
    assert_passes(root)


def test_names_of_the_longest_allowed_length_stay_within_the_line_limit(work: Path) -> None:
    longest = "x" * 24
    for template in TEMPLATES:
        root = create_extension(longest, template=template, path=work / template).root
        generate_runner("y" * 24, extension_dir=root)
        generate_actor("z" * 24, kind="subscription", extension_dir=root)
        if HAS_RUFF:
            lint = run_ruff(root)
            assert lint.returncode == 0, lint.stdout
    assert_passes(work / "service-integration" / f"lex-{longest}")


def test_a_generator_starting_in_a_subdirectory_finds_the_extension(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = create_extension("demo", path=work).root
    monkeypatch.chdir(root / "tests")
    assert generate_runner("billing").root == root


# --- refusals write nothing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem", "hint"),
    [
        ("Demo", "lowercase Python identifier", "'demo'"),
        ("my-ext", "lowercase Python identifier", "'my_ext'"),
        ("lex-demo", "lowercase Python identifier", "'demo'"),
        ("1abc", "lowercase Python identifier", "'abc'"),
        ("", "lowercase Python identifier", "letters"),
        ("demo!", "lowercase Python identifier", "'demo'"),
        ("class", "Python keyword", "letters"),
        ("core", "part of Legion itself", "letters"),
        ("extension", "already uses", "letters"),
        ("every", "already uses", "letters"),
        ("print", "builtin", "letters"),
        ("a" * 25, "longer than 24", "letters"),
    ],
)
def test_bad_names_are_refused_with_a_hint(work: Path, name: str, problem: str, hint: str) -> None:
    with pytest.raises(UsageError, match=problem) as caught:
        create_extension(name, path=work)
    assert hint in (caught.value.hint or "")
    assert caught.value.exit_code == 2
    assert tree(work) == {}


def test_an_unknown_template_lists_the_valid_ones(work: Path) -> None:
    with pytest.raises(UsageError, match="unknown template 'fancy'") as caught:
        create_extension("demo", template="fancy", path=work)
    assert all(t in (caught.value.hint or "") for t in TEMPLATES)
    assert tree(work) == {}


def test_an_existing_target_is_named_and_left_alone(work: Path) -> None:
    (work / "lex-demo").mkdir()
    (work / "lex-demo" / "notes.txt").write_text("mine")
    before = tree(work)
    with pytest.raises(UsageError, match=re.escape(str(work / "lex-demo"))):
        create_extension("demo", path=work)
    assert tree(work) == before


def test_a_file_as_the_parent_directory_is_refused(work: Path) -> None:
    (work / "file").write_text("x")
    before = tree(work)
    with pytest.raises(UsageError, match="is not a directory"):
        create_extension("demo", path=work / "file")
    assert tree(work) == before


def test_a_failing_write_removes_everything_written(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Path.open
    opened: list[Path] = []

    def flaky_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode == "x":
            opened.append(self)
            if len(opened) == 5:
                raise OSError(28, "No space left on device")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", flaky_open)
    with pytest.raises(LegionError, match="No space left on device; nothing was left behind"):
        create_extension("demo", path=work / "new" / "dir")
    assert len(opened) == 5
    assert tree(work) == {}


def test_generating_outside_an_extension_says_what_was_looked_for(work: Path) -> None:
    (work / "pyproject.toml").write_text('[project]\nname = "not-an-extension"\n')
    before = tree(work)
    with pytest.raises(UsageError, match="not inside a Legion extension") as caught:
        generate_runner("billing", extension_dir=work)
    message = caught.value.message
    assert 'pyproject.toml with a [project.entry-points."legion.extensions"] table' in message
    assert str(work / "pyproject.toml") in message
    assert "--extension-dir" in (caught.value.hint or "")
    assert tree(work) == before


def test_generating_in_a_missing_directory_is_refused(work: Path) -> None:
    with pytest.raises(UsageError, match="is not a directory"):
        generate_actor("nightly", extension_dir=work / "missing")


Refusal = Callable[[Path], object]
REFUSALS: dict[str, tuple[Refusal, str]] = {
    "existing runner": (lambda root: generate_runner("demo", extension_dir=root), "exists"),
    "reserved name": (lambda root: generate_runner("client", extension_dir=root), "already uses"),
    "extension name": (lambda root: generate_runner("extension", extension_dir=root), "uses"),
    "bad runner name": (lambda root: generate_runner("Bill", extension_dir=root), "identifier"),
    "bad actor kind": (
        lambda root: generate_actor("nightly", kind="hourly", extension_dir=root),
        "unknown actor kind 'hourly'",
    ),
    "existing actor runner": (
        lambda root: generate_actor("demo", extension_dir=root),
        "already exists",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_generator_refusals_leave_the_extension_unchanged(work: Path, case: str) -> None:
    root = create_extension("demo", template="service-integration", path=work).root
    before = tree(work)
    call, message = REFUSALS[case]
    with pytest.raises(UsageError, match=message):
        call(root)
    assert tree(work) == before


def test_an_unknown_actor_kind_lists_the_valid_ones(work: Path) -> None:
    root = create_extension("demo", path=work).root
    with pytest.raises(UsageError) as caught:
        generate_actor("nightly", kind="hourly", extension_dir=root)
    assert all(kind in (caught.value.hint or "") for kind in ACTOR_KINDS)


def test_a_runner_may_not_shadow_a_module_of_the_package(work: Path) -> None:
    root = create_extension("demo", path=work).root
    (root / "src/legion/extensions/demo/models.py").write_text('"""Mine."""\n')
    before = tree(work)
    with pytest.raises(UsageError, match=r"would shadow module legion\.extensions\.demo\.models"):
        generate_runner("models", extension_dir=root)
    assert tree(work) == before


def test_a_runner_may_not_shadow_a_name_bound_in_init(work: Path) -> None:
    root = create_extension("demo", path=work).root
    init = root / "src/legion/extensions/demo/__init__.py"
    init.write_text(init.read_text() + "\nlimits = {'max': 1}\n")
    before = tree(work)
    with pytest.raises(UsageError, match="would shadow `limits`"):
        generate_runner("limits", extension_dir=root)
    assert tree(work) == before


def test_an_init_without_a_runners_list_is_refused_with_a_hint(work: Path) -> None:
    root = create_extension("demo", path=work).root
    init = root / "src/legion/extensions/demo/__init__.py"
    listed = "runners=[\n        demo,\n    ],"
    init.write_text(init.read_text().replace(listed, "runners=(demo,),"))
    before = tree(work)
    with pytest.raises(UsageError, match="is not a literal list") as caught:
        generate_runner("billing", extension_dir=root)
    assert "by hand" in (caught.value.hint or "")
    assert tree(work) == before


def test_a_failing_update_removes_the_new_files_and_keeps_init(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = create_extension("demo", path=work).root
    before = tree(work)

    def failing_replace(path: Path, text: str) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(files_module, "replace_text", failing_replace)
    with pytest.raises(LegionError, match="Permission denied; nothing was left behind"):
        generate_runner("billing", extension_dir=root)
    assert tree(work) == before
