"""LiteLLM model strings map to an adapter family, an upstream model id, a base and a tier."""

from __future__ import annotations

import pytest

from legion.llm.config.providers import InferenceProblem, ProviderTarget, infer_provider


@pytest.mark.parametrize(
    ("model", "api_base", "expected"),
    [
        (
            "openai/gpt-4o",
            None,
            ProviderTarget("openai", "gpt-4o", "https://api.openai.com/v1", "frontier"),
        ),
        (
            "openai/qwen2.5",
            "http://127.0.0.1:8080/v1/",
            ProviderTarget("openai", "qwen2.5", "http://127.0.0.1:8080/v1", "local"),
        ),
        (
            "hosted_vllm/meta-llama/Llama-3-8B",
            "https://vllm.internal.example/v1",
            ProviderTarget(
                "openai", "meta-llama/Llama-3-8B", "https://vllm.internal.example/v1", "fleet"
            ),
        ),
        (
            "vllm/mistral",
            "http://10.1.2.3:8000/v1",
            ProviderTarget("openai", "mistral", "http://10.1.2.3:8000/v1", "fleet"),
        ),
        ("vllm/mistral", None, ProviderTarget("litellm", "vllm/mistral", None, "fleet")),
        (
            "llamafile/mistral",
            "http://localhost:8080/v1",
            ProviderTarget("openai", "mistral", "http://localhost:8080/v1", "local"),
        ),
        (
            "lm_studio/qwen",
            "http://192.168.1.5:1234/v1",
            ProviderTarget("openai", "qwen", "http://192.168.1.5:1234/v1", "local"),
        ),
        (
            "custom_openai/m",
            "https://api.example.com/v1",
            ProviderTarget("openai", "m", "https://api.example.com/v1", "cloud"),
        ),
        (
            "anthropic/claude-3-5-sonnet",
            None,
            ProviderTarget("anthropic", "claude-3-5-sonnet", None, "frontier"),
        ),
        (
            "ollama/llama3",
            None,
            ProviderTarget("openai", "llama3", "http://localhost:11434/v1", "local"),
        ),
        (
            "ollama_chat/llama3",
            "http://gpu-box:11434/",
            ProviderTarget("openai", "llama3", "http://gpu-box:11434/v1", "local"),
        ),
        (
            "ollama/llama3",
            "http://localhost:11434/v1",
            ProviderTarget("openai", "llama3", "http://localhost:11434/v1", "local"),
        ),
        (
            "bedrock/anthropic.claude",
            None,
            ProviderTarget("litellm", "bedrock/anthropic.claude", None, "cloud"),
        ),
        (
            "vertex_ai/gemini-pro",
            None,
            ProviderTarget("litellm", "vertex_ai/gemini-pro", None, "cloud"),
        ),
        ("gemini/gemini-1.5", None, ProviderTarget("litellm", "gemini/gemini-1.5", None, "cloud")),
        (
            "azure/gpt4",
            "https://x.openai.azure.com",
            ProviderTarget("litellm", "azure/gpt4", "https://x.openai.azure.com", "cloud"),
        ),
        ("groq/llama3-70b", None, ProviderTarget("litellm", "groq/llama3-70b", None, "cloud")),
        ("gpt-4o", None, ProviderTarget("litellm", "gpt-4o", None, "frontier")),
        ("command-r", None, ProviderTarget("litellm", "command-r", None, "cloud")),
        (
            "my-model",
            "http://localhost:9000/v1",
            ProviderTarget("openai", "my-model", "http://localhost:9000/v1", "local"),
        ),
    ],
)
def test_inference(model: str, api_base: str | None, expected: ProviderTarget) -> None:
    assert infer_provider(model, api_base) == expected


@pytest.mark.parametrize("prefix", ["hosted_vllm", "llamafile", "lm_studio", "custom_openai"])
def test_openai_compatible_servers_need_a_base(prefix: str) -> None:
    with pytest.raises(InferenceProblem) as caught:
        infer_provider(f"{prefix}/m", None)
    assert caught.value.key == "api_base"


@pytest.mark.parametrize("model", ["openai/", "/gpt-4o"])
def test_malformed_model_strings(model: str) -> None:
    with pytest.raises(InferenceProblem) as caught:
        infer_provider(model, None)
    assert caught.value.key == "model"
