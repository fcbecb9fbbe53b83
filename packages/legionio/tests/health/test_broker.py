"""The broker probe: an AMQP 0-9-1 protocol-header handshake over a plain socket."""

from __future__ import annotations

from legion.app.health import broker
from legion.core.settings import load_settings


def test_rabbitmq_answers_the_protocol_header(amqp_url: str) -> None:
    finding = broker.probe(amqp_url, 3)
    assert finding.status == "pass", finding.reason
    assert finding.details["product"] == "RabbitMQ"
    assert "PLAIN" in finding.details["mechanisms"]
    assert "AMQP 0-9-1" in finding.reason and "login not checked" in finding.reason
    assert finding.latency_ms is not None
    assert "guest:guest" not in finding.reason


def test_closed_port_fails_with_the_socket_error(closed_port: int) -> None:
    finding = broker.probe(f"amqp://u:topsecret@127.0.0.1:{closed_port}/", 2)
    assert finding.status == "fail"
    assert "refused" in finding.reason.lower()
    assert "topsecret" not in finding.reason
    assert finding.fix


def test_silent_port_times_out(silent_port: int) -> None:
    finding = broker.probe(f"amqp://127.0.0.1:{silent_port}/", 0.3)
    assert finding.status == "fail" and "timed out" in finding.reason


def test_a_service_that_is_not_amqp_is_named_as_such(talker_port: int) -> None:
    finding = broker.probe(f"amqp://127.0.0.1:{talker_port}/", 2)
    assert finding.status == "fail"
    assert "not as an AMQP 0-9-1 broker" in finding.reason


def test_a_url_that_is_not_amqp_fails_without_connecting() -> None:
    finding = broker.probe("http://127.0.0.1:1/", 2)
    assert finding.status == "fail" and "amqp://" in finding.reason


def test_parse_start_reads_product_and_mechanisms() -> None:
    import struct

    def longstr(value: bytes) -> bytes:
        return struct.pack(">I", len(value)) + value

    def entry(name: bytes, kind: bytes, value: bytes) -> bytes:
        return bytes([len(name)]) + name + kind + value

    nested = struct.pack(">I", 0)
    table = (
        entry(b"capabilities", b"F", nested)
        + entry(b"flag", b"t", b"\x01")
        + entry(b"product", b"S", longstr(b"TestMQ"))
        + entry(b"version", b"S", longstr(b"9.9"))
    )
    payload = (
        struct.pack(">HHBB", 10, 10, 0, 9)
        + struct.pack(">I", len(table))
        + table
        + longstr(b"PLAIN EXTERNAL")
        + longstr(b"en_US")
    )
    hello = broker.parse_start(payload)
    assert (hello.product, hello.product_version) == ("TestMQ", "9.9")
    assert hello.mechanisms == ["PLAIN", "EXTERNAL"]
    assert hello.version == "0-9-1"


def test_without_a_transport_setting_the_broker_is_skipped() -> None:
    settings = load_settings({"mode": "full"})
    finding = broker.check(settings, 1)
    assert finding.status == "skip" and "transport.url" in finding.reason
    assert broker.check(load_settings(), 1).reason == "lite mode: in-process broker"
