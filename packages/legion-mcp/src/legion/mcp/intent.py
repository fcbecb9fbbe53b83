"""`legion do "free text"`: find the function meant, run it only when the match is clear.

Tier 0 is an exact address or a lexical (BM25) match with a clear winner. When it has none and
an LLM is configured, tier 1 offers the best lexical candidates to the model as tools and takes
the one it calls, if its arguments fit the function's schema. Otherwise the best candidates are
listed and nothing runs.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel

from legion.core.errors import ValidationFailed
from legion.core.registry import Capability, CapabilityRegistry
from legion.mcp.intent_index import Document, build_index, tokenize
from legion.mcp.intent_llm import LlmEndpoint, LlmFailure, choose
from legion.mcp.tools_from_registry import exposed

PAIR = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S+)")
MIN_MARGIN = 1.5  # the winner must score this many times the runner-up
MIN_COVERAGE = 0.5  # and contain at least this share of the query's words
LLM_CANDIDATES = 8  # how many lexical candidates tier 1 offers the model


class Candidate(BaseModel):
    address: str
    score: float
    coverage: float
    description: str
    missing: list[str] = []  # required arguments the text did not give


class LlmReport(BaseModel):
    """What tier 1 asked and got: the tool the model called and its arguments, or the problem."""

    model: str | None
    offered: list[str]  # the candidate addresses sent as tools
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    problem: str | None = None


class Intent(BaseModel):
    """What the text resolved to; `chosen` is set only when a tier is confident (0: lexical,
    1: the model called it with valid arguments)."""

    text: str
    tier: Literal[0, 1]
    args: dict[str, Any]
    candidates: list[Candidate]
    chosen: str | None
    reason: str
    llm: LlmReport | None = None  # set when tier 1 was asked


def parse_value(raw: str) -> Any:
    if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2:
        return raw[1:-1]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def split_args(text: str) -> tuple[str, dict[str, Any]]:
    """`ping message=hi` → ("ping", {"message": "hi"}); values parse as JSON when they can."""
    args = {m.group(1): parse_value(m.group(2)) for m in PAIR.finditer(text)}
    return PAIR.sub(" ", text).strip(), args


def document(cap: Capability) -> Document:
    return Document(cap.address, cap.address, cap.description)


def names_all(address: str, query: str) -> bool:
    """Every word of the address is in the query (`run a ping` names all of ping.ping.ping)."""
    words = set(tokenize(query, query=True))
    return bool(words) and set(tokenize(address)) <= words


def required(cap: Capability) -> list[str]:
    return list(cap.input_schema.get("required", []))


def candidate(cap: Capability, score: float, coverage: float, args: dict[str, Any]) -> Candidate:
    missing = [name for name in required(cap) if name not in args]
    return Candidate(
        address=cap.address,
        score=score,
        coverage=coverage,
        description=cap.description,
        missing=missing,
    )


def resolve(
    text: str,
    registry: CapabilityRegistry,
    limit: int = 5,
    *,
    llm: LlmEndpoint | None = None,
) -> Intent:
    """Tier 0 (an exact address; else BM25 with a clear margin and enough coverage); when it
    chooses nothing and `llm` is set, tier 1 asks the model among the best lexical matches.

    Blocks for the model's answer (up to `llm.timeout`); never raises for the model's failures.
    """
    query, args = split_args(text)
    caps = {cap.address: cap for cap in registry if exposed(cap)}
    for word in query.split():
        if word in caps:
            found = candidate(caps[word], 1.0, 1.0, args)
            intent = _decide(text, args, [found], found, "exact address")
            return _ask_model(intent, [caps[word]], llm)
    hits = build_index(document(cap) for cap in caps.values()).search(
        query, max(limit, LLM_CANDIDATES)
    )
    pool = [caps[h.name] for h in hits[:LLM_CANDIDATES]]
    found_list = [candidate(caps[h.name], h.score, h.coverage, args) for h in hits[:limit]]
    return _ask_model(_tier0(text, query, args, found_list), pool, llm)


def _tier0(text: str, query: str, args: dict[str, Any], found_list: list[Candidate]) -> Intent:
    if not found_list:
        return _decide(text, args, [], None, "no function matches these words")
    top = found_list[0]
    runner_up = found_list[1].score if len(found_list) > 1 else 0.0
    if top.coverage < MIN_COVERAGE:
        return _decide(text, args, found_list, None, "the best match covers too few of the words")
    named = names_all(top.address, query) and not (
        len(found_list) > 1 and names_all(found_list[1].address, query)
    )
    if runner_up and top.score < MIN_MARGIN * runner_up and not named:
        return _decide(
            text, args, found_list, None, f"no clear winner ({top.score:g} vs {runner_up:g})"
        )
    why = "the words name its whole address" if named else f"clear lexical match ({top.score:g})"
    return _decide(text, args, found_list, top, why)


def _ask_model(intent: Intent, pool: list[Capability], llm: LlmEndpoint | None) -> Intent:
    """Tier 1, when tier 0 chose nothing and there is a model and something to offer it."""
    if intent.chosen is not None or llm is None or not pool:
        return intent
    report = LlmReport(model=llm.model, offered=[cap.address for cap in pool])
    try:
        choice = choose(llm, intent.text, pool)
    except LlmFailure as exc:
        return _llm_failed(intent, report, str(exc))
    except Exception as exc:  # whatever else the model's answer breaks: a reason, not a crash
        return _llm_failed(intent, report, f"unexpected {type(exc).__name__}: {exc}")
    cap = choice.capability
    report = report.model_copy(update={"tool": cap.address, "arguments": choice.arguments})
    # key=value pairs the user wrote win over the model's values for the same argument.
    properties = cap.input_schema.get("properties", {})
    explicit = {k: v for k, v in intent.args.items() if k in properties}
    args = {**choice.arguments, **explicit}
    try:
        cap.validate(args)
    except ValidationFailed as exc:
        return _llm_failed(intent, report, f"the model chose {cap.address}, but {exc.message}")
    return intent.model_copy(
        update={
            "tier": 1,
            "args": args,
            "chosen": cap.address,
            "reason": f"the model ({llm.model}) chose it; tier 0: {intent.reason}",
            "llm": report,
        }
    )


def _llm_failed(intent: Intent, report: LlmReport, problem: str) -> Intent:
    return intent.model_copy(
        update={
            "reason": f"{intent.reason}; LLM tier: {problem}",
            "llm": report.model_copy(update={"problem": problem}),
        }
    )


def _decide(
    text: str,
    args: dict[str, Any],
    candidates: list[Candidate],
    chosen: Candidate | None,
    reason: str,
) -> Intent:
    if chosen is not None and chosen.missing:
        reason = f"{chosen.address} needs {', '.join(chosen.missing)}; give them as key=value"
        chosen = None
    return Intent(
        text=text,
        tier=0,
        args=args,
        candidates=candidates,
        chosen=chosen.address if chosen else None,
        reason=reason,
    )
