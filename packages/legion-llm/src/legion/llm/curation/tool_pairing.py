"""Keeping tool calls and their results paired: providers reject a result whose call is gone and a
call left without its result, so every removal goes through here."""

from __future__ import annotations

from legion.llm.canonical import Message, ToolResultPart, ToolUsePart


def call_ids(messages: list[Message]) -> set[str]:
    return {p.id for m in messages for p in m.content if isinstance(p, ToolUsePart)}


def result_ids(messages: list[Message]) -> set[str]:
    return {p.tool_call_id for m in messages for p in m.content if isinstance(p, ToolResultPart)}


def has_tool_traffic(message: Message) -> bool:
    return any(isinstance(p, ToolUsePart | ToolResultPart) for p in message.content)


def drop_orphans(messages: list[Message], calls: set[str], results: set[str]) -> list[Message]:
    """`messages` without tool calls missing from `results` and tool results missing from
    `calls` (the id sets of the whole conversation); a message left empty is dropped."""
    out: list[Message] = []
    for message in messages:
        kept = [
            p
            for p in message.content
            if not (isinstance(p, ToolUsePart) and p.id not in results)
            and not (isinstance(p, ToolResultPart) and p.tool_call_id not in calls)
        ]
        if len(kept) == len(message.content):
            out.append(message)
        elif kept:
            out.append(Message(role=message.role, content=kept, name=message.name))
    return out


def unpaired(messages: list[Message]) -> set[str]:
    """Ids that appear as a call without a result or as a result without a call."""
    return call_ids(messages) ^ result_ids(messages)
