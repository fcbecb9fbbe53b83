"""The tool list as data or Markdown: what `legion mcp tools` prints and docs/mcp.md holds."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP


async def describe_tools(server: FastMCP) -> list[dict[str, Any]]:
    """Every tool as MCP lists it: name, description, input schema, annotations."""
    tools = await server.list_tools(run_middleware=False)
    out = []
    for tool in sorted(tools, key=lambda t: t.name):
        mcp_tool = tool.to_mcp_tool()
        notes = mcp_tool.annotations
        out.append(
            {
                "name": mcp_tool.name,
                "description": mcp_tool.description or "",
                "input_schema": mcp_tool.input_schema,
                "annotations": notes.model_dump(exclude_none=True, by_alias=True) if notes else {},
            }
        )
    return out


def hints(annotations: dict[str, Any]) -> str:
    if annotations.get("readOnlyHint"):
        return "read-only"
    marks = []
    if annotations.get("destructiveHint"):
        marks.append("destructive")
    if annotations.get("idempotentHint"):
        marks.append("idempotent")
    return ", ".join(marks) or "—"


def as_markdown(tools: list[dict[str, Any]]) -> str:
    """A table per group (legion.* first, then each extension) with arguments and hints."""
    lines: list[str] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for tool in tools:
        groups.setdefault(tool["name"].split(".", 1)[0], []).append(tool)
    order = sorted(groups, key=lambda g: (g != "legion", g))
    for group in order:
        title = "Management tools (`legion.*`)" if group == "legion" else f"Extension `{group}`"
        lines += [f"### {title}", "", "| tool | arguments | hints | description |"]
        lines.append("|---|---|---|---|")
        for tool in groups[group]:
            schema = tool["input_schema"]
            required = set(schema.get("required", []))
            args = ", ".join(
                f"`{name}`" + ("" if name in required else "?")
                for name in schema.get("properties", {})
            )
            description = " ".join(tool["description"].split("\n\n", 1)[0].split())
            description = description.replace("|", "\\|")
            marks = hints(tool["annotations"])
            lines.append(f"| `{tool['name']}` | {args or '—'} | {marks} | {description} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
