"""Deployments, configs and requests built in code, and a health tracker on a still clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from legion.llm.canonical import ChatRequest, Message, TextPart
from legion.llm.config.gateway_config import GatewayConfig
from legion.llm.deployment import Deployment
from legion.llm.routing.health_tracker import HealthTracker


@pytest.fixture
def health() -> HealthTracker:
    """A tracker on a clock that stands still (tests that move time bring their own)."""
    return HealthTracker(clock=lambda: 1000.0)


def deployment(id: str, model_name: str = "m", **fields: Any) -> Deployment:
    """A deployment with its own instance (api_base from the id) unless told otherwise."""
    fields.setdefault("provider", "openai")
    fields.setdefault("model", id)
    fields.setdefault("api_base", f"http://{id}.example/v1")
    return Deployment(id=id, model_name=model_name, **fields)


def config_of(deployments: list[Deployment], **fields: Any) -> GatewayConfig:
    by_name: dict[str, list[Deployment]] = {}
    for d in deployments:
        by_name.setdefault(d.model_name, []).append(d)
    return GatewayConfig(
        path=Path("config.yaml"), deployments=deployments, by_name=by_name, **fields
    )


def request(model: str = "m", **fields: Any) -> ChatRequest:
    fields.setdefault("messages", [Message("user", [TextPart("hi")])])
    return ChatRequest(model=model, **fields)


@pytest.fixture
def make_deployment() -> Callable[..., Deployment]:
    return deployment


@pytest.fixture
def make_config() -> Callable[..., GatewayConfig]:
    return config_of


@pytest.fixture
def make_request() -> Callable[..., ChatRequest]:
    return request
