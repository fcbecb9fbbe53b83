import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from legion.core.context import Context
from legion.core.errors import ConfigError, UsageError, ValidationFailed
from legion.core.registry import CapabilityRegistry
from legion.extensions.exec import extension
from legion.extensions.exec.errors import CommandNotStarted, CommandRefused
from legion.extensions.exec.runners.command import run

PY = sys.executable


def ctx(**settings: Any) -> Context:
    return Context(extension="exec", settings={"allow": [PY], **settings})


def py(code: str, *args: str) -> list[str]:
    return [PY, "-c", code, *args]


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for a reaper counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def wait_until_gone(pid: int, bound: float = 15.0) -> bool:
    end = time.monotonic() + bound
    while time.monotonic() < end:
        if gone(pid):
            return True
        time.sleep(0.05)
    return gone(pid)


# -- the allow-list ------------------------------------------------------------------------------


def test_an_empty_allow_list_refuses_everything_and_names_the_setting() -> None:
    with pytest.raises(CommandRefused, match=r"lex\.exec\.allow") as info:
        run(py("print(1)"), ctx=Context(extension="exec", settings={"allow": []}))
    assert info.value.hint is not None and "lex.exec.allow" in info.value.hint


def test_a_name_not_listed_is_refused() -> None:
    with pytest.raises(CommandRefused, match="'rm' is not allow-listed"):
        run(["rm", "-rf", "/tmp/nothing-here"], ctx=ctx())


def test_relative_paths_are_refused_even_when_the_name_is_listed(tmp_path: Path) -> None:
    name = Path(PY).name
    with pytest.raises(CommandRefused, match="path that is not allow-listed"):
        run([f"./{name}", "-c", "1"], ctx=ctx(allow=[name]), cwd=str(Path(PY).parent))


def test_an_absolute_path_must_itself_be_listed(tmp_path: Path) -> None:
    other = tmp_path / "python"
    other.symlink_to(PY)
    with pytest.raises(CommandRefused, match="path that is not allow-listed"):
        run([str(other), "-c", "1"], ctx=ctx())
    with pytest.raises(CommandRefused, match="path that is not allow-listed"):
        run([str(other), "-c", "1"], ctx=ctx(allow=["python"]))


def test_an_empty_argv_is_refused() -> None:
    with pytest.raises(CommandRefused, match="argv is empty"):
        run([], ctx=ctx())


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A python reachable only by the bare name `legion-test-py` on the node's PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "legion-test-py").symlink_to(PY)
    monkeypatch.setenv("PATH", str(bin_dir))
    return str(bin_dir / "legion-test-py")


def test_a_listed_name_runs_from_the_nodes_path(on_path: str) -> None:
    code = "import sys; print(sys.argv[1])"
    out = run(["legion-test-py", "-c", code, "ok"], ctx=ctx(allow=["legion-test-py"]))
    assert out["returncode"] == 0 and out["stdout"] == "ok\n"


def test_a_name_is_allowed_by_its_resolved_absolute_path(on_path: str) -> None:
    out = run(["legion-test-py", "-c", "print(2)"], ctx=ctx(allow=[on_path]))
    assert out["stdout"] == "2\n"


def test_the_callers_env_cannot_redirect_a_name(on_path: str, tmp_path: Path) -> None:
    out = run(
        ["legion-test-py", "-c", "print('real')"],
        env={"PATH": str(tmp_path / "elsewhere")},
        ctx=ctx(allow=["legion-test-py"]),
    )
    assert out["stdout"] == "real\n"


def test_a_listed_name_missing_from_path_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(CommandRefused, match="not found on this node's PATH"):
        run(["legion-no-such-tool"], ctx=ctx(allow=["legion-no-such-tool"]))


def test_a_listed_file_that_cannot_execute_is_reported(tmp_path: Path) -> None:
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    with pytest.raises(CommandNotStarted, match="could not start"):
        run([str(script)], ctx=ctx(allow=[str(script)]))


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"allow": "python"}, "must be a list"),
        ({"allow": ["bin/python"]}, "relative path"),
        ({"max_output_bytes": -1}, "max_output_bytes"),
        ({"max_timeout": 0}, "max_timeout"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        run(py("1"), ctx=Context(extension="exec", settings={"allow": [PY], **settings}))


# -- running -------------------------------------------------------------------------------------


def test_output_exit_code_and_stderr_come_back() -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    out = run(py(code), ctx=ctx())
    assert out["returncode"] == 3
    assert out["stdout"] == "out\n" and out["stderr"] == "err\n"
    assert out["truncated"] is False and out["timed_out"] is False
    assert out["elapsed_ms"] >= 0


def test_no_shell_interprets_the_arguments(tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    hostile = f"$(touch {marker}); `touch {marker}` && touch {marker} | cat"
    out = run(py("import sys; print(sys.argv[1])", hostile), ctx=ctx())
    assert out["stdout"] == hostile + "\n"
    assert not marker.exists()


def test_env_is_added_to_the_nodes_environment_and_cwd_is_used(tmp_path: Path) -> None:
    code = "import os; print(os.environ['LEGION_EXEC_TEST'], 'PATH' in os.environ, os.getcwd())"
    out = run(py(code), cwd=str(tmp_path), env={"LEGION_EXEC_TEST": "v1"}, ctx=ctx())
    assert out["stdout"].split() == ["v1", "True", str(tmp_path.resolve())]


def test_a_missing_cwd_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        run(py("1"), cwd=str(tmp_path / "missing"), ctx=ctx())


def test_output_is_cut_at_the_limit_and_flagged() -> None:
    code = "import sys; sys.stdout.write('x' * 200000); sys.stderr.write('e' * 10)"
    out = run(py(code), ctx=ctx(max_output_bytes=1000))
    assert out["stdout"] == "x" * 1000 and out["stdout_bytes"] == 200000
    assert out["stderr"] == "e" * 10 and out["stderr_bytes"] == 10
    assert out["truncated"] is True and out["returncode"] == 0


def test_a_timeout_kills_the_whole_process_group() -> None:
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    out = run(py(code), timeout=2, ctx=ctx())
    assert out["timed_out"] is True
    assert out["returncode"] == -9
    grandchild = int(out["stdout"].split()[0])
    assert wait_until_gone(grandchild)


def test_a_leftover_holding_the_output_is_killed_at_the_deadline() -> None:
    code = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(child.pid, flush=True)\n"
    )
    out = run(py(code), timeout=2, ctx=ctx())
    assert out["returncode"] == 0  # the command itself finished
    assert out["timed_out"] is True  # but its output stayed open until the deadline
    assert wait_until_gone(int(out["stdout"].split()[0]))


def test_a_timeout_over_the_nodes_limit_is_refused() -> None:
    with pytest.raises(UsageError, match="over this node's limit"):
        run(py("1"), timeout=100, ctx=ctx(max_timeout=10))


# -- as a capability -----------------------------------------------------------------------------


def test_the_capability_is_local_only_and_takes_an_argv_list() -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    cap = registry.get("exec.command.run")
    assert cap.options.remote_invocable is False
    assert cap.options.mcp_exposed is False
    props = cap.input_schema["properties"]
    assert set(props) == {"argv", "cwd", "timeout", "env"}
    assert props["argv"]["type"] == "array"
    assert cap.input_schema["required"] == ["argv"]
    with pytest.raises(ValidationFailed, match="argv"):
        cap.invoke({"argv": "echo hi; rm -rf /"})
    with pytest.raises(ValidationFailed, match="timeout"):
        cap.invoke({"argv": [PY], "timeout": 0})


def test_declared_defaults_refuse_everything() -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    with pytest.raises(CommandRefused, match=r"lex\.exec\.allow"):
        registry.get("exec.command.run").invoke({"argv": py("1")})


def test_node_settings_reach_the_function_through_its_context() -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    registry.set_context_factory(lambda cap, task_id: ctx())
    out = registry.get("exec.command.run").invoke({"argv": py("print('via registry')")})
    assert out["stdout"] == "via registry\n"
