"""The broker: `transport.url` answered with an AMQP 0-9-1 protocol-header handshake.

A `memory://` transport (lite mode's in-process broker) has nothing to check. The probe sends
the protocol header and reads the broker's Connection.Start: it proves an AMQP broker listens,
not that the login in the URL is accepted.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from legion.app.health.report import Finding
from legion.app.health.runner import elapsed_ms

if TYPE_CHECKING:
    from legion.core.settings import Settings

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD, FRAME_END = 1, 0xCE
CONNECTION_START = (10, 10)
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671}
MAX_FRAME = 1 << 17  # a Connection.Start is a few hundred bytes; refuse to read anything huge


class NotAmqp(Exception):
    """The peer answered, but not with an AMQP 0-9-1 Connection.Start."""


@dataclass(frozen=True)
class BrokerHello:
    version: str  # the protocol version the broker speaks, e.g. "0-9-1"
    product: str | None
    product_version: str | None
    mechanisms: list[str]


def transport_url(settings: Settings) -> str | None:
    """`transport.url` when it names a broker; None for the in-process `memory://` one."""
    url = settings.transport.url
    return None if url.startswith("memory://") else url


def check(settings: Settings, timeout: float) -> Finding:
    url = transport_url(settings)
    if url is None:
        if settings.mode == "lite":
            return Finding("broker", "skip", "lite mode: in-process broker")
        return Finding("broker", "skip", "transport.url is memory://: in-process broker")
    return probe(url, timeout)


def probe(url: str, timeout: float) -> Finding:
    from legion.core.settings.redact import redact_url

    shown = redact_url(url)
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return Finding(
            "broker",
            "fail",
            f"transport.url {shown} is not an amqp:// or amqps:// URL with a host",
            fix="write transport.url as amqp://user:password@host:5672/vhost",
        )
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    started = time.monotonic()
    try:
        hello = handshake(parts.hostname, port, timeout, tls=parts.scheme == "amqps")
    except NotAmqp as exc:
        return Finding(
            "broker",
            "fail",
            f"{shown} answered, but not as an AMQP 0-9-1 broker ({exc})",
            fix="check the host and port in transport.url (RabbitMQ listens on 5672)",
            details={"url": shown},
        )
    except (OSError, ssl.SSLError) as exc:
        return Finding(
            "broker",
            "fail",
            f"{shown}: {describe(exc)}",
            fix="check transport.url and that the broker runs and is reachable",
            details={"url": shown},
        )
    latency = elapsed_ms(started)
    product = " ".join(p for p in (hello.product, hello.product_version) if p) or "a broker"
    return Finding(
        "broker",
        "pass",
        f"{product} at {shown} speaks AMQP {hello.version} (login not checked)",
        latency_ms=latency,
        details={
            "url": shown,
            "product": hello.product,
            "version": hello.product_version,
            "mechanisms": hello.mechanisms,
        },
    )


def describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def handshake(host: str, port: int, timeout: float, *, tls: bool = False) -> BrokerHello:
    """Send the protocol header and parse the Connection.Start that an AMQP broker answers."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        if tls:
            context = ssl.create_default_context()
            with context.wrap_socket(raw, server_hostname=host) as wrapped:
                return exchange(wrapped, deadline)
        return exchange(raw, deadline)


def exchange(sock: socket.socket, deadline: float) -> BrokerHello:
    sock.sendall(PROTOCOL_HEADER)
    header = read_exactly(sock, 7, deadline)
    if header.startswith(b"AMQP"):
        rest = header[4:] + read_exactly(sock, 1, deadline)
        raise NotAmqp(f"it offers protocol {'-'.join(str(b) for b in rest[1:])} instead")
    kind, channel, size = struct.unpack(">BHI", header)
    if kind != FRAME_METHOD or channel != 0 or size > MAX_FRAME:
        raise NotAmqp(f"it sent {header!r}")
    payload = read_exactly(sock, size + 1, deadline)
    if payload[-1] != FRAME_END:
        raise NotAmqp("the frame has no frame-end octet")
    return parse_start(payload[:-1])


def read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(left)
        chunk = sock.recv(count - len(data))
        if not chunk:
            if not data:
                raise NotAmqp("it closed the connection without a word")
            raise NotAmqp(f"it closed the connection after {data[:16]!r}")
        data += chunk
    return data


def parse_start(payload: bytes) -> BrokerHello:
    """Connection.Start: class, method, version, server-properties, mechanisms, locales."""
    try:
        class_id, method_id, major, minor = struct.unpack_from(">HHBB", payload, 0)
        if (class_id, method_id) != CONNECTION_START:
            raise NotAmqp(f"its first method is {class_id}.{method_id}, not Connection.Start")
        properties, offset = read_table(payload, 6)
        (length,) = struct.unpack_from(">I", payload, offset)
        mechanisms = payload[offset + 4 : offset + 4 + length].decode("utf-8", "replace")
    except (struct.error, UnicodeDecodeError) as exc:
        raise NotAmqp(f"its Connection.Start is malformed ({exc})") from None
    return BrokerHello(
        version="0-9-1" if (major, minor) == (0, 9) else f"{major}-{minor}",
        product=text_value(properties.get("product")),
        product_version=text_value(properties.get("version")),
        mechanisms=mechanisms.split(),
    )


# Field value sizes of the fixed-width AMQP 0-9-1 table types (RabbitMQ's dialect).
FIXED = {"t": 1, "b": 1, "B": 1, "s": 2, "u": 2, "I": 4, "i": 4, "f": 4, "l": 8, "d": 8, "T": 8}


def read_table(data: bytes, offset: int) -> tuple[dict[str, Any], int]:
    """The string values of a field table (others are skipped), and the offset past it."""
    (size,) = struct.unpack_from(">I", data, offset)
    start, end = offset + 4, offset + 4 + size
    values: dict[str, Any] = {}
    pos = start
    while pos < end:
        name_len = data[pos]
        name = data[pos + 1 : pos + 1 + name_len].decode("utf-8", "replace")
        kind = chr(data[pos + 1 + name_len])
        pos += 2 + name_len
        if kind == "S":
            (length,) = struct.unpack_from(">I", data, pos)
            values[name] = data[pos + 4 : pos + 4 + length]
            pos += 4 + length
        elif kind in ("F", "A", "x"):
            (length,) = struct.unpack_from(">I", data, pos)
            pos += 4 + length
        elif kind == "D":
            pos += 5
        elif kind == "V":
            pass
        elif kind in FIXED:
            pos += FIXED[kind]
        else:
            break  # an unknown type: its size is unknown, keep what was read so far
    return values, end


def text_value(raw: Any) -> str | None:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else None
