"""The one internal shape of a request and a response: dialects parse into it and render from it.

Every client dialect (OpenAI chat/completions/responses, Anthropic messages) and every provider
(OpenAI-compatible, Anthropic, litellm) speaks only these types, so any dialect reaches any
provider with one parse and one render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
Effort = Literal["low", "moderate", "high", "reasoning"]


# --- content parts ------------------------------------------------------------------------------


@dataclass(slots=True)
class TextPart:
    text: str


@dataclass(slots=True)
class ImagePart:
    """An image as a URL: `https://…` or a `data:<media type>;base64,…` URL."""

    url: str
    detail: str | None = None


@dataclass(slots=True)
class ToolUsePart:
    """A tool call made by the assistant; `arguments` is the JSON text of the arguments."""

    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class ToolResultPart:
    """The result of a tool call, sent back by the client (OpenAI `tool` message, Anthropic
    `tool_result` block)."""

    tool_call_id: str
    content: list[TextPart | ImagePart]
    is_error: bool = False


@dataclass(slots=True)
class ThinkingPart:
    text: str
    signature: str | None = None


Part = TextPart | ImagePart | ToolUsePart | ToolResultPart | ThinkingPart


@dataclass(slots=True)
class Message:
    role: Role
    content: list[Part]
    name: str | None = None

    def text(self) -> str:
        """The concatenated text parts (no thinking, no tool traffic)."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


# --- requests -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Tool:
    name: str
    description: str | None
    parameters: dict[str, Any]


@dataclass(slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None


@dataclass(slots=True)
class RouteHints:
    """What the caller asked of the router beyond the model name (headers or body metadata)."""

    provider: str | None = None
    tier: str | None = None
    effort: Effort | None = None
    privacy: bool = False


@dataclass(slots=True)
class ChatRequest:
    """A chat request in canonical form. System prompts are `system` messages, in order."""

    model: str
    messages: list[Message]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    response_format: dict[str, Any] | None = None
    user: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Parameters a dialect accepts that have no canonical meaning; providers of the same
    # family pass them through, others ignore them.
    extra: dict[str, Any] = field(default_factory=dict)
    hints: RouteHints = field(default_factory=RouteHints)
    # Set by the gateway for mid-stream failover: the provider must continue this assistant text.
    continue_from: str | None = None


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    dimensions: int | None = None
    user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- responses ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class ChatResponse:
    """A complete answer. `content` holds text, thinking and tool-use parts in order."""

    id: str
    model: str
    content: list[Part]
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    created: int = 0

    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    def tool_calls(self) -> list[ToolUsePart]:
        return [p for p in self.content if isinstance(p, ToolUsePart)]


@dataclass(slots=True)
class EmbeddingResponse:
    model: str
    vectors: list[list[float]]
    usage: Usage = field(default_factory=Usage)


# --- stream events (what a provider yields while streaming) -------------------------------------


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    text: str


@dataclass(slots=True)
class ToolCallStart:
    """A tool call begins; `index` counts tool calls within this response from 0."""

    index: int
    id: str
    name: str


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(slots=True)
class StreamEnd:
    """The provider finished normally. Usage may be partial (some upstreams omit it)."""

    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)


StreamEvent = TextDelta | ThinkingDelta | ToolCallStart | ToolCallDelta | StreamEnd


@dataclass(slots=True)
class StreamMeta:
    """What a dialect needs to frame a stream; fixed by the gateway so that a failover to another
    provider keeps the same id and model name for the client."""

    id: str
    model: str
    created: int
    input_tokens: int = 0


# The user turn an OpenAI-style upstream gets after the partial assistant text when a stream is
# continued on another provider (Anthropic-style upstreams continue a trailing assistant message).
CONTINUE_PROMPT = "Continue your previous answer exactly where it stopped. Do not repeat any of it."
