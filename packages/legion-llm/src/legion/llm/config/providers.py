"""From LiteLLM's `provider/model` string to the adapter family, the upstream model id, the
api_base and the default tier, so most config files need no Legion keys at all."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
OLLAMA_DEFAULT_BASE = "http://localhost:11434"

# Prefixes served by any OpenAI-compatible server; only `openai/` has a default api_base.
OPENAI_COMPATIBLE = frozenset(
    {"openai", "text-completion-openai", "hosted_vllm", "llamafile", "lm_studio", "custom_openai"}
)
OLLAMA = frozenset({"ollama", "ollama_chat"})
LOCAL_PREFIXES = OLLAMA | {"llamafile", "lm_studio"}
FLEET_PREFIXES = frozenset({"hosted_vllm", "vllm"})
CLOUD_PREFIXES = frozenset(
    {"bedrock", "bedrock_converse", "vertex_ai", "gemini", "azure", "azure_ai"}
)
FRONTIER_PREFIXES = frozenset({"openai", "text-completion-openai", "anthropic"})
# Bare model names litellm maps to OpenAI or Anthropic.
FRONTIER_BARE = ("gpt-", "chatgpt-", "o1", "o3", "o4", "text-embedding-", "claude-")


@dataclass(frozen=True, slots=True)
class ProviderTarget:
    family: str
    model: str
    api_base: str | None
    default_tier: str


class InferenceProblem(Exception):
    """The model string cannot be served as written; `key` is the litellm_params key to fix."""

    def __init__(self, key: str, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem
        self.hint = hint


def infer_provider(model: str, api_base: str | None) -> ProviderTarget:
    prefix, sep, name = model.partition("/")
    if not sep:
        prefix, name = "", model
    if not name or (sep and not prefix):
        hint = "write it as provider/model, e.g. openai/gpt-4o"
        raise InferenceProblem("model", f"'{model}' is not a model id", hint)
    base = api_base.rstrip("/") if api_base else None

    if prefix == "anthropic":
        return ProviderTarget("anthropic", name, base, _tier(prefix, base))
    if prefix in OLLAMA:
        root = base or OLLAMA_DEFAULT_BASE
        return ProviderTarget("openai", name, _with_v1(root), _tier(prefix, root))
    if prefix == "openai":
        return ProviderTarget("openai", name, base or OPENAI_DEFAULT_BASE, _tier(prefix, base))
    if prefix in OPENAI_COMPATIBLE or (prefix == "vllm" and base):
        if not base:
            raise InferenceProblem(
                "api_base",
                f"'{prefix}/' models need an api_base",
                "set litellm_params.api_base to the server's OpenAI-compatible URL",
            )
        return ProviderTarget("openai", name, base, _tier(prefix, base))
    if not prefix:
        if base:
            return ProviderTarget("openai", name, base, _tier(prefix, base))
        tier = "frontier" if name.startswith(FRONTIER_BARE) else "cloud"
        return ProviderTarget("litellm", model, None, tier)
    return ProviderTarget("litellm", model, base, _tier(prefix, base))


def _with_v1(base: str) -> str:
    return base if base.endswith("/v1") else f"{base}/v1"


def _tier(prefix: str, base: str | None) -> str:
    where = _network(base)
    if where == "loopback" or prefix in LOCAL_PREFIXES:
        return "local"
    if prefix in FLEET_PREFIXES or where == "private":
        return "fleet"
    if prefix in CLOUD_PREFIXES:
        return "cloud"
    if prefix in FRONTIER_PREFIXES:
        return "frontier"
    return "cloud"


def _network(base: str | None) -> str | None:
    """'loopback' or 'private' when the api_base host says so (a server on this machine or on
    the LAN is not a cloud, whatever the prefix); None otherwise."""
    if not base:
        return None
    try:
        host = urlsplit(base if "://" in base else f"http://{base}").hostname
    except ValueError:
        return None
    if not host:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback:
        return "loopback"
    if address.is_private and not address.is_link_local:
        return "private"
    return None
