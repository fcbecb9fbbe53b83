from __future__ import annotations

import json
from typing import Any

from legion.llm.canonical import TextPart, ToolResultPart, ToolUsePart
from legion.llm.curation.distill_tool_result import (
    MARK,
    calls_by_id,
    distill_tool_results,
    summarise,
)


def test_file_read_keeps_path_line_count_definitions_and_values(source: Any) -> None:
    text = source(200, extra="DATABASE_POOL_SIZE = 17")
    call = ToolUsePart("c1", "read_file", json.dumps({"path": "src/app/config.py"}))
    summary = summarise(text, call)
    assert summary.startswith(MARK) and "\n" not in summary
    assert "src/app/config.py" in summary
    assert f"{len(text.splitlines())} lines" in summary
    assert "DATABASE_POOL_SIZE=17" in summary and "TIMEOUT_SECONDS=30" in summary
    assert "def handler_0" in summary
    assert len(summary) < len(text) / 3


def test_yaml_settings_keep_their_section() -> None:
    lines = ["server:", "  port: 8080", "database:", "  pool_size: 17", "  host: db.internal"]
    text = "\n".join(lines + [f"# filler {i}" for i in range(200)])
    call = ToolUsePart("c1", "read_file", json.dumps({"path": "config/app.yaml"}))
    summary = summarise(text, call)
    assert "database.pool_size=17" in summary and "server.port=8080" in summary


def test_command_output_keeps_exit_status_error_and_last_lines() -> None:
    lines = [f"collecting module {i}" for i in range(300)]
    lines += [
        "Traceback (most recent call last):",
        '  File "src/app/db.py", line 41, in connect',
        "psycopg.OperationalError: connection to db-7f3a.internal port 6543 failed",
        "exit code: 1",
    ]
    call = ToolUsePart("c1", "run_command", json.dumps({"command": "pytest -x"}))
    summary = summarise("\n".join(lines), call, is_error=True)
    assert "`pytest -x` exit 1" in summary
    assert "OperationalError: connection to db-7f3a.internal port 6543 failed" in summary
    assert "src/app/db.py:41" in summary
    assert "last lines:" in summary


def test_json_and_search_results() -> None:
    payload = json.dumps({"id": "ord_8812", "status": "failed", "items": list(range(500))})
    summary = summarise(payload, ToolUsePart("c1", "http_get", "{}"))
    assert "keys: id, status, items" in summary and '"ord_8812"' in summary
    hits = "\n".join(f"src/app/m{i % 7}.py:{i}: def load()" for i in range(120))
    search = summarise(hits, ToolUsePart("c2", "search", json.dumps({"query": "def load"})))
    assert "120 matches in 7 files" in search and "src/app/m0.py" in search


def test_only_long_results_are_distilled_and_ids_are_kept(convo: Any, source: Any) -> None:
    c = convo()
    c.tool("read_file", {"path": "a.py"}, "short")
    long_id = c.tool("read_file", {"path": "b.py"}, source(400))
    out = distill_tool_results(c.messages, calls_by_id(c.messages), 2000)
    assert out[1] is c.messages[1]
    result = out[3].content[0]
    assert isinstance(result, ToolResultPart) and result.tool_call_id == long_id
    assert isinstance(result.content[0], TextPart) and "b.py" in result.content[0].text
    again = distill_tool_results(out, calls_by_id(out), 10)
    assert again[3].content[0] == result  # a summary is not summarised again
