"""A task as a message body: its fields as JSON, sealed with the cluster secret when
`crypt.encrypt` is on. The seal binds the queue and the message id, so a body replayed onto
another queue or under another id is rejected like a forged one."""

from __future__ import annotations

import base64
import json
from typing import Any

from legion.core.crypto import envelope
from legion.core.crypto.box import Keyring
from legion.core.crypto.errors import Reason, RejectedMessage
from legion.core.engine.task import Task

FORMAT = "legion.task.1"
PLAIN = "p:"
SEALED = "s:"


def _headers(queue: str, message_id: str) -> dict[str, str]:
    return {"exchange": "", "routing_key": queue, "message_id": message_id}


def encode(task: Task, *, queue: str, message_id: str, keyring: Keyring | None) -> str:
    """The body for `task` on `queue` (JSON text, or a sealed envelope in base64)."""
    row = task.row()
    if task.args_json is not None:  # reuse the JSON the engine already made
        row.pop("args")
        text = json.dumps({"format": FORMAT, **row}, default=str)
        text = text[:-1] + ', "args": ' + task.args_json + "}"
    else:
        text = json.dumps({"format": FORMAT, **row}, default=str)
    if keyring is None:
        return PLAIN + text
    sealed = envelope.seal(text.encode(), _headers(queue, message_id), keyring)
    return SEALED + base64.b64encode(sealed).decode("ascii")


def decode(body: Any, *, queue: str, message_id: str, keyring: Keyring | None) -> Task:
    """The task in `body`; `RejectedMessage` when it is forged, foreign or malformed, or when it
    is plain while this node requires sealed messages."""
    if not isinstance(body, str) or len(body) < 2:
        raise RejectedMessage(Reason.MALFORMED, "the body is not a Legion task message")
    kind, rest = body[:2], body[2:]
    if kind == SEALED:
        if keyring is None:
            raise RejectedMessage(Reason.MALFORMED, "sealed, but this node has no cluster secret")
        try:
            data = base64.b64decode(rest, validate=True)
        except ValueError:
            raise RejectedMessage(Reason.MALFORMED, "the sealed body is not base64") from None
        text = envelope.open(data, _headers(queue, message_id), keyring).decode()
    elif kind == PLAIN:
        if keyring is not None:
            raise RejectedMessage(Reason.MALFORMED, "plain, but this node requires sealed messages")
        text = rest
    else:
        raise RejectedMessage(Reason.MALFORMED, "the body is not a Legion task message")
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.pop("format", None) != FORMAT:
            raise ValueError("unknown format")
        task = Task(**{k: doc[k] for k in Task.__dataclass_fields__ if k in doc})
    except (ValueError, TypeError) as exc:
        raise RejectedMessage(Reason.MALFORMED, f"the task in it cannot be read: {exc}") from None
    if not isinstance(task.function, str) or not isinstance(task.args, dict):
        raise RejectedMessage(Reason.MALFORMED, "the task has no function or arguments")
    return task
