"""Editing an extension's `__init__.py` however its author formatted it, or refusing clearly."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from legion.app.scaffold.imports import from_import
from legion.app.scaffold.init_editor import InitEditor
from legion.core.errors import UsageError

RUNNERS = "legion.extensions.demo.runners"


def add_runner(source: str, name: str = "billing") -> str:
    editor = InitEditor(Path("__init__.py"), source)
    editor.add_import(RUNNERS, name)
    editor.append("runners", name)
    return editor.result()


def test_a_one_line_list_becomes_one_item_a_line() -> None:
    source = (
        "from legion.core.sdk import Extension\n"
        "from legion.extensions.demo.runners import demo\n"
        "\n"
        'extension = Extension(name="demo", version="0", runners=[demo])\n'
    )
    assert add_runner(source) == (
        "from legion.core.sdk import Extension\n"
        "from legion.extensions.demo.runners import billing, demo\n"
        "\n"
        'extension = Extension(name="demo", version="0", runners=[\n'
        "    demo,\n"
        "    billing,\n"
        "])\n"
    )


def test_comments_and_layout_of_a_multi_line_list_are_kept() -> None:
    source = (
        "from legion.core.sdk import Extension  # the SDK\n"
        "from legion.extensions.demo.runners import demo\n"
        "\n"
        "extension = Extension(\n"
        '    name="demo",\n'
        '    version="0",\n'
        "    runners=[\n"
        "        demo  # the first one\n"
        "        # more below\n"
        "    ],\n"
        ")\n"
    )
    assert add_runner(source) == (
        "from legion.core.sdk import Extension  # the SDK\n"
        "from legion.extensions.demo.runners import billing, demo\n"
        "\n"
        "extension = Extension(\n"
        '    name="demo",\n'
        '    version="0",\n'
        "    runners=[\n"
        "        demo,  # the first one\n"
        "        # more below\n"
        "        billing,\n"
        "    ],\n"
        ")\n"
    )


def test_an_empty_list_gets_its_first_item() -> None:
    source = (
        "from legion.core.sdk import Extension\n"
        "from legion.extensions.demo.runners import demo\n"
        "\n"
        'extension = Extension(name="demo", version="0", runners=[demo], actors=[])\n'
    )
    editor = InitEditor(Path("__init__.py"), source)
    editor.add_import("legion.core.sdk", "every")
    editor.append("actors", 'every("demo.demo", seconds=60)')
    result = editor.result()
    assert "from legion.core.sdk import Extension, every\n" in result
    assert 'actors=[\n    every("demo.demo", seconds=60),\n])' in result


def test_windows_line_endings_are_kept() -> None:
    source = (
        "from legion.core.sdk import Extension\r\n"
        "from legion.extensions.demo.runners import demo\r\n"
        "\r\n"
        "extension = Extension(\r\n"
        '    name="demo",\r\n'
        '    version="0",\r\n'
        "    runners=[\r\n"
        "        demo,\r\n"
        "    ],\r\n"
        ")\r\n"
    )
    result = add_runner(source)
    assert "\n" not in result.replace("\r\n", "")
    assert "        demo,\r\n        billing,\r\n    ],\r\n" in result


def test_non_ascii_text_before_the_list_does_not_shift_the_edit() -> None:
    source = (
        "from legion.core.sdk import Extension\n"
        "from legion.extensions.demo.runners import demo\n"
        "\n"
        'extension = Extension(name="démo ✓", version="0", runners=[demo])\n'
    )
    assert 'Extension(name="démo ✓", version="0", runners=[\n    demo,\n    billing,\n])' in (
        add_runner(source)
    )


def test_a_long_import_wraps_the_way_ruff_wraps_it() -> None:
    names = [f"a_rather_long_runner_{i}" for i in (3, 20, 1)]
    assert from_import(RUNNERS, names) == (
        "from legion.extensions.demo.runners import (\n"
        "    a_rather_long_runner_1,\n"
        "    a_rather_long_runner_3,\n"
        "    a_rather_long_runner_20,\n"
        ")"
    )
    assert from_import(RUNNERS, names[:2]) == (
        "from legion.extensions.demo.runners import a_rather_long_runner_3, a_rather_long_runner_20"
    )
    assert from_import("m", ["b", "CONST", "Klass", "a"]) == "from m import CONST, Klass, a, b"


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
def test_ruff_agrees_with_the_import_order(tmp_path: Path) -> None:
    names = ["v10", "v2", "a_b", "ab", "a1", "a", "Klass", "CONST", "zeta", "x9y", "x10y"]
    long_names = [f"runner_with_a_long_name_{i}" for i in range(12, 0, -1)]
    module = tmp_path / "sample.py"
    text = "\n".join(
        [
            from_import("somewhere.near", names),
            from_import("somewhere.wide", long_names),
            "",
            f"__all__ = {sorted(names + long_names)!r}",
            "",
        ]
    )
    module.write_text(text)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--isolated",
            "--line-length",
            "100",
            "--select",
            "I",
            str(module),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", r"expected one `Extension\(\.\.\.\)` call, found 0"),
        (
            "from legion.extensions.demo.runners import demo\n"
            "extension = Extension(name='demo', version='0')\n",
            r"has no `runners=\[...\]`",
        ),
        (
            "from legion.extensions.demo.runners import demo\n"
            "RUNNERS = [demo]\n"
            "extension = Extension(name='demo', version='0', runners=RUNNERS)\n",
            "is not a literal list",
        ),
        (
            "from legion.extensions.demo.runners import demo\n"
            "from legion.extensions.demo.runners import other\n"
            "extension = Extension(name='demo', version='0', runners=[demo, other])\n",
            "found 2",
        ),
        (
            "from legion.extensions.demo.runners import (\n    demo,  # main\n)\n"
            "extension = Extension(name='demo', version='0', runners=[demo])\n",
            "holds a comment",
        ),
        (
            "from legion.extensions.demo.runners import demo\n"
            "extension = Extension(name='demo', version='0', runners=[demo,  # main\n])\n",
            None,
        ),
        (
            "from legion.extensions.demo.runners import demo\n"
            "extension = Extension(name='demo', version='0', runners=[  # main\n  demo])\n",
            "holds a comment and its `]`",
        ),
        ("extension = Extension(\n", "does not parse"),
    ],
)
def test_unrecognised_layouts_are_refused_not_guessed(source: str, message: str | None) -> None:
    if message is None:  # `]` on its own line: appendable despite the comment
        assert "    billing,\n])" in add_runner(source)
        return
    with pytest.raises(UsageError, match=message) as caught:
        add_runner(source)
    assert caught.value.hint


def test_items_and_bound_names_report_what_is_declared() -> None:
    source = (
        "from legion.core.sdk import Extension, every\n"
        "from legion.extensions.demo.runners import demo as main\n"
        "LIMIT = 3\n"
        "def helper() -> None: ...\n"
        "extension = Extension(name='demo', version='0', runners=[main],\n"
        "                      actors=[every('main.hello', seconds=LIMIT)])\n"
    )
    editor = InitEditor(Path("__init__.py"), source)
    assert editor.items("actors") == ["every('main.hello', seconds=LIMIT)"]
    assert {"Extension", "every", "main", "LIMIT", "helper", "extension"} <= editor.bound_names()
