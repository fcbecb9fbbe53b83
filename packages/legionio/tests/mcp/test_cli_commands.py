"""`legion do`, `legion mcp tools` and `legion mcp token` as a user runs them."""

from __future__ import annotations

import json

import pytest

from legion.app.cli.main import legion_group, run
from legion.mcp.auth import digest


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(legion_group, "legion", list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_do_runs_ping_through_tier_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "do", "--json", "run a ping")
    data = json.loads(out)
    assert code == 0 and data["tier"] == 0 and data["chosen"] == "ping.ping.ping"
    assert data["via"] == "in-process"
    assert data["run"]["status"] == "completed" and data["run"]["result"]["reply"] == "pong"
    assert data["candidates"][0]["address"] == "ping.ping.ping"


def test_do_passes_key_value_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "do", "ping", "message=hello", "--json")
    assert code == 0 and json.loads(out)["run"]["result"]["message"] == "hello"


def test_do_without_a_clear_match_lists_candidates_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "do", "--json", "check health")
    data = json.loads(out)
    assert code == 0 and data["chosen"] is None and data["run"] is None
    assert [c["address"] for c in data["candidates"][:2]] == [
        "health.check.run",
        "health.check.ping",
    ]
    assert all(isinstance(c["score"], float) for c in data["candidates"])
    code, out, _ = cli(capsys, "do", "check health")
    assert code == 0 and "nothing run: no clear winner" in out


def test_do_with_bad_arguments_exits_2_naming_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "do", "ping.ping.ping", "times=3")
    assert code == 2 and "times: unexpected argument" in err and "Traceback" not in err


def test_mcp_tools_as_json_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "mcp", "tools", "--json")
    tools = {t["name"]: t for t in json.loads(out)}
    assert code == 0 and "ping.ping.ping" in tools and "legion.do" in tools
    assert tools["legion.get_status"]["annotations"]["readOnlyHint"] is True
    code, out, _ = cli(capsys, "mcp", "tools", "--markdown")
    assert code == 0 and out.startswith("### Management tools")
    assert "| `ping.ping.ping` | `message`? | — |" in out


def test_mcp_token_prints_the_token_once_with_its_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "mcp", "token", "--json")
    data = json.loads(out)
    assert code == 0 and digest(data["token"]) == data["digest"]
    assert data["setting"]["mcp"]["auth"]["tokens"] == [data["digest"]]
