"""The local archive of what curation dropped: one JSONL file per conversation, readable only by
the gateway's user (conversations carry secrets), so nothing dropped is lost for good."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legion.llm.canonical import (
    ImagePart,
    Message,
    Part,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolUsePart,
)

TAG = "llm_conversation_history"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def part_to_json(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return {"type": "image", "url": part.url, "detail": part.detail}
    if isinstance(part, ToolUsePart):
        return {"type": "tool_use", "id": part.id, "name": part.name, "arguments": part.arguments}
    if isinstance(part, ToolResultPart):
        return {
            "type": "tool_result",
            "tool_call_id": part.tool_call_id,
            "is_error": part.is_error,
            "content": [part_to_json(p) for p in part.content],
        }
    return {"type": "thinking", "text": part.text, "signature": part.signature}


def part_from_json(data: dict[str, Any]) -> Part:
    kind = data["type"]
    if kind == "text":
        return TextPart(text=data["text"])
    if kind == "image":
        return ImagePart(url=data["url"], detail=data.get("detail"))
    if kind == "tool_use":
        return ToolUsePart(id=data["id"], name=data["name"], arguments=data["arguments"])
    if kind == "tool_result":
        content: list[TextPart | ImagePart] = []
        for item in data["content"]:
            inner = part_from_json(item)
            if isinstance(inner, TextPart | ImagePart):
                content.append(inner)
        return ToolResultPart(data["tool_call_id"], content, bool(data.get("is_error")))
    if kind == "thinking":
        return ThinkingPart(text=data["text"], signature=data.get("signature"))
    raise ValueError(f"unknown part type {kind!r}")


def message_to_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "role": message.role,
        "content": [part_to_json(p) for p in message.content],
    }
    if message.name is not None:
        data["name"] = message.name
    return data


def message_from_json(data: dict[str, Any]) -> Message:
    return Message(
        role=data["role"],
        content=[part_from_json(p) for p in data["content"]],
        name=data.get("name"),
    )


@dataclass(slots=True)
class ArchivedBatch:
    """One drop: the messages removed from a conversation at `time` (Unix seconds)."""

    conversation_id: str
    time: float
    messages: list[Message]
    tags: list[str]
    turns: tuple[int, int] | None = None


class Archive:
    """Appends dropped messages to `<directory>/<conversation>.jsonl` (mode 0600, directory 0700).

    The file name is the conversation id when it is a safe name, else a digest of it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def path_for(self, conversation_id: str) -> Path:
        safe = 0 < len(conversation_id) <= 100 and not _SAFE.search(conversation_id)
        if safe and not conversation_id.startswith("."):
            return self.directory / f"{conversation_id}.jsonl"
        digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:32]
        return self.directory / f"conversation-{digest}.jsonl"

    def write(
        self,
        conversation_id: str,
        messages: list[Message],
        turns: tuple[int, int] | None = None,
        now: float | None = None,
    ) -> Path:
        record = {
            "conversation_id": conversation_id,
            "time": time.time() if now is None else now,
            "tags": [TAG, f"conversation:{conversation_id}"],
            "turns": list(turns) if turns else None,
            "messages": [message_to_json(m) for m in messages],
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        path = self.path_for(conversation_id)
        with self._lock:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o600)  # also when the file existed with a wider mode
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        return path

    def read(self, conversation_id: str) -> list[ArchivedBatch]:
        path = self.path_for(conversation_id)
        if not path.exists():
            return []
        batches: list[ArchivedBatch] = []
        with self._lock:
            text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            turns = data.get("turns")
            batches.append(
                ArchivedBatch(
                    conversation_id=data["conversation_id"],
                    time=float(data["time"]),
                    messages=[message_from_json(m) for m in data["messages"]],
                    tags=list(data["tags"]),
                    turns=(int(turns[0]), int(turns[1])) if turns else None,
                )
            )
        return batches
