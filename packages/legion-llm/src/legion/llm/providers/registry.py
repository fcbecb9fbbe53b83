"""One adapter instance per provider family, created on first use (litellm only when a model
needs it, since importing it costs seconds)."""

from __future__ import annotations

from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers.base import Provider


def _create(family: str) -> Provider:
    if family == "openai":
        from legion.llm.providers.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider()
    if family == "anthropic":
        from legion.llm.providers.anthropic import AnthropicProvider

        return AnthropicProvider()
    if family == "litellm":
        from legion.llm.providers.litellm_provider import LiteLLMProvider

        return LiteLLMProvider()
    raise GatewayError(ErrorKind.INTERNAL, f"no provider adapter for family {family!r}")


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

    def get(self, family: str) -> Provider:
        provider = self._providers.get(family)
        if provider is None:
            provider = self._providers[family] = _create(family)
        return provider

    def register(self, family: str, provider: Provider) -> None:
        """Install an adapter for a family (a custom provider, or a test double)."""
        self._providers[family] = provider

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
