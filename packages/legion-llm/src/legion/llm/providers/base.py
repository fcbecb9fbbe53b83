"""What every provider adapter offers the gateway: one canonical call per operation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)
from legion.llm.deployment import Deployment


class Provider(ABC):
    """An adapter for one provider family. Stateless per request; holds shared HTTP sessions.

    Failures raise `legion.llm.errors.GatewayError` with `upstream=True` (classified with
    `from_upstream_status` for HTTP errors, `ErrorKind.TIMEOUT` for timeouts and
    `ErrorKind.UPSTREAM` for broken connections or malformed upstream bodies), including a
    failure in the middle of `stream`.
    """

    family: str

    @abstractmethod
    async def chat(self, request: ChatRequest, deployment: Deployment) -> ChatResponse:
        """A complete answer (request.stream is ignored)."""

    @abstractmethod
    def stream(self, request: ChatRequest, deployment: Deployment) -> AsyncIterator[StreamEvent]:
        """Deltas as they arrive, ending with exactly one `StreamEnd` on success."""

    @abstractmethod
    async def embed(self, request: EmbeddingRequest, deployment: Deployment) -> EmbeddingResponse:
        """Embedding vectors, one per input, in order."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
