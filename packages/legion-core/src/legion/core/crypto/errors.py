"""The errors of Legion's message security: rejected messages and failed secret exchanges."""

from __future__ import annotations

from enum import StrEnum

from legion.core.errors import LegionError


class Reason(StrEnum):
    """Why a sealed message was rejected; the transport logs it and dead-letters the message."""

    TRUNCATED = "truncated"  # shorter than the smallest possible envelope
    VERSION = "unsupported-version"  # a format this node does not speak
    UNKNOWN_KEY = "unknown-key"  # sealed with a key not in this node's keyring
    FORGED = "forged"  # the authenticator does not match: tampered or the wrong key
    MALFORMED = "malformed"  # authentic but not laid out as an envelope
    ROUTING = "wrong-routing"  # authentic but delivered to other routing than it was sealed for


class RejectedMessage(LegionError):
    """A message that must never be executed; `reason` says why, the message never holds data."""

    code = "rejected_message"

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"message rejected ({reason.value}): {detail}")
        self.reason = reason


class SecretExchangeError(LegionError):
    """A cluster-secret request or response that is malformed, unsigned or not for this node."""

    code = "secret_exchange_failed"
