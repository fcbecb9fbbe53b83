"""Tier 1 of `legion do`: an OpenAI-compatible chat-completions endpoint picks the tool.

The best lexical candidates go to the model as function tools (name, description, the input
schema) with `tool_choice: "auto"`; its first tool call names the function and its arguments.
Every failure (unreachable, an HTTP error, an answer that is not a tool call) becomes an
`LlmFailure` whose message says what went wrong; the caller then lists candidates instead.
Plain `urllib`: one POST per `do` needs no HTTP client dependency.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from legion.core.registry import Capability

if TYPE_CHECKING:
    from legion.core.settings.model import LlmSettings

SYSTEM_PROMPT = (
    "You map a request to one function of a Legion node. If one of the tools does what the "
    "user asks, call it, with arguments taken from the request and valid for its schema; never "
    "invent values for required arguments the request does not give. If no tool fits, do not "
    "call any: answer in one sentence why."
)
NAME_OK = re.compile(r"[^A-Za-z0-9_-]")  # OpenAI function names: [A-Za-z0-9_-]{1,64}
MAX_DESCRIPTION = 1024
MAX_SHOWN = 200  # characters of a model's text or an error body quoted in a reason


class LlmEndpoint(BaseModel):
    """Where tier 1 asks: built from the `llm` settings section (`from_settings`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    model: str | None = None
    api_key: SecretStr | None = None
    timeout: float = Field(default=20.0, gt=0)

    @classmethod
    def from_settings(cls, llm: LlmSettings) -> LlmEndpoint | None:
        """None unless `llm.enabled` and `llm.url` are both set."""
        if not (llm.enabled and llm.url):
            return None
        return cls(url=llm.url, model=llm.model, api_key=llm.api_key, timeout=llm.timeout)

    @property
    def chat_url(self) -> str:
        """`http://h:p` and `http://h:p/v1` both mean `http://h:p/v1/chat/completions`."""
        base = self.url.rstrip("/")
        if base.endswith("/chat/completions"):
            return base
        if re.search(r"/v\d+$", base):
            return base + "/chat/completions"
        return base + "/v1/chat/completions"


class LlmFailure(Exception):
    """Why tier 1 could not pick a function; `str()` is one line fit for a reason."""


@dataclass(frozen=True)
class ModelChoice:
    """The function the model called and the arguments it gave (not yet validated)."""

    capability: Capability
    arguments: dict[str, Any]


def function_name(address: str) -> str:
    """`ping.ping.ping` → `ping__ping__ping`: OpenAI function names allow no dots."""
    return NAME_OK.sub("_", address.replace(".", "__"))[:64]


def tool_specs(candidates: Sequence[Capability]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The `tools` of the request, and the function name → address map to read the answer."""
    tools: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for cap in candidates:
        name = function_name(cap.address)
        if name in names:  # two addresses cut to the same 64 characters: keep the first
            continue
        names[name] = cap.address
        description = f"{cap.address}: {cap.description}".strip()[:MAX_DESCRIPTION]
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": description,
                    "parameters": cap.input_schema,
                },
            }
        )
    return tools, names


def request_body(
    endpoint: LlmEndpoint, text: str, candidates: Sequence[Capability]
) -> tuple[dict[str, Any], dict[str, str]]:
    tools, names = tool_specs(candidates)
    body = {
        "model": endpoint.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": text},
        ],
        "tools": tools,
        "tool_choice": "auto",
        "stream": False,
    }
    return body, names


def choose(endpoint: LlmEndpoint, text: str, candidates: Sequence[Capability]) -> ModelChoice:
    """Ask the model to call one of `candidates`; raises `LlmFailure` when it does not."""
    if not endpoint.model:
        raise LlmFailure("llm.model is not set")
    if not candidates:
        raise LlmFailure("no candidates to offer the model")
    body, names = request_body(endpoint, text, candidates)
    answer = post_json(endpoint, body)
    name, arguments = first_tool_call(answer)
    by_address = {cap.address: cap for cap in candidates}
    address = names.get(name, name if name in by_address else None)
    if address is None:
        raise LlmFailure(f"the model called {name!r}, which is not one of the candidates")
    return ModelChoice(by_address[address], arguments)


def post_json(endpoint: LlmEndpoint, body: dict[str, Any]) -> Any:
    url = endpoint.chat_url
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "legion-mcp (legion do)",
    }
    if endpoint.api_key is not None:
        headers["Authorization"] = f"Bearer {endpoint.api_key.get_secret_value()}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    slow = f"the LLM at {url} did not answer within {endpoint.timeout:g}s"
    try:
        with urllib.request.urlopen(request, timeout=endpoint.timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise LlmFailure(f"the LLM at {url} answered {exc.code}: {error_message(exc)}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise LlmFailure(slow) from None
        raise LlmFailure(f"cannot reach the LLM at {url}: {reason_of(exc.reason)}") from None
    except TimeoutError:
        raise LlmFailure(slow) from None
    except http.client.HTTPException as exc:  # a bad status line, a cut body
        raise LlmFailure(f"the LLM at {url} broke off its answer ({type(exc).__name__})") from None
    except (OSError, ValueError) as exc:  # a reset connection, a malformed URL, ...
        raise LlmFailure(f"cannot reach the LLM at {url}: {reason_of(exc)}") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise LlmFailure(f"the LLM at {url} answered something that is not JSON") from None


def reason_of(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason)[:MAX_SHOWN] or type(reason).__name__


def error_message(exc: urllib.error.HTTPError) -> str:
    """The `error.message` of an OpenAI error body, else the start of the body, else the reason."""
    try:
        raw = exc.read()
    except OSError:
        raw = b""
    try:
        message = json.loads(raw)["error"]["message"]
        if isinstance(message, str) and message:
            return message[:MAX_SHOWN]
    except (ValueError, KeyError, TypeError):
        pass
    text = raw.decode("utf-8", "replace").strip()
    return text[:MAX_SHOWN] or str(exc.reason)


def first_tool_call(answer: Any) -> tuple[str, dict[str, Any]]:
    """The name and decoded arguments of the answer's first tool call."""
    try:
        message = answer["choices"][0]["message"]
        if not isinstance(message, dict):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        raise LlmFailure("the LLM's answer has no choices[0].message") from None
    calls = message.get("tool_calls") or []
    if not calls:
        said = " ".join(str(message.get("content") or "").split())[:MAX_SHOWN]
        raise LlmFailure("the model called no tool" + (f" (it said: {said})" if said else ""))
    try:
        function = calls[0]["function"]
        name = function["name"]
        raw_args = function.get("arguments") or "{}"
    except (KeyError, IndexError, TypeError, AttributeError):
        raise LlmFailure("the model's tool call has no function name") from None
    if not isinstance(name, str):
        raise LlmFailure("the model's tool call has no function name")
    if isinstance(raw_args, dict):
        arguments: Any = raw_args
    else:
        try:
            arguments = json.loads(str(raw_args))
        except ValueError:
            raise LlmFailure(f"the model's arguments for {name!r} are not JSON") from None
    if not isinstance(arguments, dict):
        raise LlmFailure(f"the model's arguments for {name!r} are not a JSON object")
    return name, arguments
