import json
import subprocess
import sys
from pathlib import Path

import pytest

from legion.app._version import __version__
from legion.app.cli.main import legion_group, legionio_group, run


def cli(capsys: pytest.CaptureFixture[str], *args: str, group=legion_group) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = run(group, "legion", list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands_without_importing_them() -> None:
    probe = (
        "import sys\n"
        "from legion.app.cli.main import legion_group, run\n"
        "code = run(legion_group, 'legion', ['--help'])\n"
        "heavy = [m for m in ('pydantic', 'litestar', 'rich', 'legion.app.cli.commands.lex') "
        "if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "generate (g)" in out.stdout and "lex" in out.stdout
    assert out.stdout.strip().endswith("0 []")


@pytest.mark.parametrize(
    "args", [["--version"], ["lex", "--version"], ["lex", "list", "--version"]]
)
def test_version_everywhere(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, _ = cli(capsys, *args)
    assert code == 0 and out.strip() == f"legion {__version__}"


def test_version_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--json", "--version", group=legionio_group)
    assert code == 0 and json.loads(out)["version"] == __version__


def test_lex_list_json_shows_ping_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "lex", "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["ping"]["status"] == "loaded"
    assert rows["ping"]["functions"] == ["ping.ping.ping"]
    assert rows["ping"]["distribution"] == "lex-ping"


def test_lex_list_human_and_no_color(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--no-color", "lex", "list")
    assert code == 0 and "ping" in out and "loaded" in out and "\x1b[" not in out


def test_disabled_extension_is_listed_as_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_DISABLED_EXTENSIONS", "ping")
    _, out, _ = cli(capsys, "lex", "list", "--json")
    ping = next(r for r in json.loads(out) if r["name"] == "ping")
    assert ping["status"] == "disabled" and ping["functions"] == []


def test_lex_info_shows_signatures_and_settings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "lex", "info", "ping", "--json")
    info = json.loads(out)
    assert code == 0
    fn = info["functions"][0]
    assert fn["address"] == "ping.ping.ping"
    assert fn["signature"] == "message: str | None = None"
    assert info["settings"] == {"reply": "pong"}
    code, out, _ = cli(capsys, "--no-color", "lex", "info", "ping")
    assert "ping.ping.ping(message: str | None = None)" in out


def test_unknown_extension_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "lex", "info", "nope")
    assert code == 2 and out == ""
    assert "extension 'nope' is not installed" in err and "hint:" in err
    code, out, _ = cli(capsys, "lex", "info", "nope", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "not_found"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "lex", "bogus")
    assert code == 2 and "No such command 'bogus'" in err
    code, _, err = cli(capsys, "lex", "info")
    assert code == 2 and "Missing argument 'NAME'" in err


def test_config_show_redacts_and_narrows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_VAULT__TOKEN", "hunter2-token")
    monkeypatch.setenv("LEGION_API__PORT", "4999")
    code, out, _ = cli(capsys, "config", "show", "--json")
    assert code == 0 and "hunter2-token" not in out
    assert json.loads(out)["vault"]["token"] == "***REDACTED***"
    code, out, _ = cli(capsys, "config", "show", "api.port", "--json")
    assert json.loads(out) == 4999
    code, out, _ = cli(capsys, "config", "show", "api", "--sources", "--json")
    assert json.loads(out)["sources"]["api.port"] == "env LEGION_API__PORT"
    code, _, err = cli(capsys, "config", "show", "api.nope")
    assert code == 2 and "no setting 'api.nope'" in err


def test_config_validate_names_file_key_and_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[api]\nport = 5000\n")
    assert cli(capsys, "config", "validate", str(good))[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"api": {"port": "high"}, "mystery": 1}')
    code, out, _ = cli(capsys, "config", "validate", str(bad), "--json")
    error = json.loads(out)["error"]
    assert code == 2
    keys = {d["key"]: d for d in error["details"]}
    assert keys["mystery"]["problem"] == "unknown key"
    assert keys["api.port"]["source"].endswith("bad.json")


def test_config_path_lists_dirs(capsys: pytest.CaptureFixture[str], legion_home: Path) -> None:
    (legion_home / "settings" / "a.json").write_text("{}")
    code, out, _ = cli(capsys, "config", "path", "--json")
    data = json.loads(out)
    assert code == 0 and data["home"] == str(legion_home)
    assert data["settings_dirs"][0]["files"] == [str(legion_home / "settings" / "a.json")]


def test_unexpected_errors_never_print_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from legion.core import catalog

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog.Catalog, "load", classmethod(explode))
    code, out, err = cli(capsys, "lex", "list")
    assert code == 1
    assert "internal error: RuntimeError: disk on fire" in err
    assert "Traceback" not in err + out
