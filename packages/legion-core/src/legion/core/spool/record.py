"""One spooled message and its line format: JSON with a CRC, so a torn or damaged line is seen.

A line is `{"seq", "at", "exchange", "routing_key", "headers", "body", "crc"}` and a newline; the
body is base64, the CRC is CRC-32 of the other fields in a canonical JSON form.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SpoolMessage:
    """What a producer hands to `Spool.append`: a message for the broker, not yet numbered."""

    exchange: str
    routing_key: str
    body: bytes
    headers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpoolRecord:
    """A stored message: `seq` orders records (1, 2, ...), `at` is its append time (epoch s)."""

    seq: int
    at: float
    exchange: str
    routing_key: str
    headers: dict[str, Any]
    body: bytes


class BadLine(ValueError):
    """A line that is not a complete, intact record (torn by a crash or damaged on disk)."""


def _canonical(
    seq: int, at: float, exchange: str, routing_key: str, headers: Any, body_b64: str
) -> bytes:
    fields = [seq, at, exchange, routing_key, headers, body_b64]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")


def check_message(message: SpoolMessage) -> str:
    """Validate what JSON cannot hold before anything is written; returns the base64 body."""
    if not isinstance(message.body, bytes | bytearray | memoryview):
        raise TypeError(f"spool message body must be bytes, not {type(message.body).__name__}")
    if not all(isinstance(key, str) for key in message.headers):
        raise TypeError("spool message header names must be strings")
    try:
        json.dumps(dict(message.headers), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"spool message headers must be JSON-serialisable: {exc}") from exc
    return base64.b64encode(bytes(message.body)).decode("ascii")


def encode_line(seq: int, at: float, message: SpoolMessage, body_b64: str) -> bytes:
    """The record as one newline-terminated line, with its CRC."""
    headers = dict(message.headers)
    crc = zlib.crc32(_canonical(seq, at, message.exchange, message.routing_key, headers, body_b64))
    line = {
        "seq": seq,
        "at": at,
        "exchange": message.exchange,
        "routing_key": message.routing_key,
        "headers": headers,
        "body": body_b64,
        "crc": crc,
    }
    return json.dumps(line, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"


def decode_line(raw: bytes) -> SpoolRecord:
    """Parse one line (without its newline); raises `BadLine` unless it is whole and intact."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadLine(f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    try:
        seq, at, crc = data["seq"], data["at"], data["crc"]
        exchange, routing_key = data["exchange"], data["routing_key"]
        headers, body_b64 = data["headers"], data["body"]
    except KeyError as exc:
        raise BadLine(f"missing field {exc}") from exc
    if not (
        type(seq) is int
        and isinstance(at, int | float)
        and type(crc) is int
        and isinstance(exchange, str)
        and isinstance(routing_key, str)
        and isinstance(headers, dict)
        and isinstance(body_b64, str)
    ):
        raise BadLine("a field has the wrong type")
    if zlib.crc32(_canonical(seq, at, exchange, routing_key, headers, body_b64)) != crc:
        raise BadLine("CRC mismatch")
    try:
        body = base64.b64decode(body_b64, validate=True)
    except binascii.Error as exc:
        raise BadLine(f"body is not base64 ({exc})") from exc
    return SpoolRecord(seq, float(at), exchange, routing_key, headers, body)
