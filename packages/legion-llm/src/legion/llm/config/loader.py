"""Reads LiteLLM proxy's config.yaml as it is (plus Legion's `legion:` keys) into a GatewayConfig,
so a LiteLLM deployment switches to Legion without touching its config."""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the env
from loguru import logger
from pydantic import BaseModel, ValidationError

from legion.core.settings.layers import legion_home
from legion.llm.config import key_paths
from legion.llm.config.errors import ConfigError
from legion.llm.config.gateway_config import (
    DEFAULT_REQUEST_TIMEOUT,
    CurationSettings,
    EscalationSettings,
    GatewayConfig,
    HealthSettings,
    LedgerSettings,
    ServerSettings,
    VirtualKeySpec,
)
from legion.llm.config.providers import InferenceProblem, infer_provider
from legion.llm.config.schema import (
    ConfigFile,
    CurationBlock,
    EscalationBlock,
    HealthBlock,
    KeyBlock,
    LedgerBlock,
    LegionBlock,
    LegionModel,
    ModelEntry,
    ModelInfo,
    ServerBlock,
    scalar_text,
)
from legion.llm.config.secrets import MissingVariable, Secret, SecretResolver, mask
from legion.llm.deployment import CLOUD_TIERS, Deployment

LEDGER_FILE = "llm-ledger.db"
# litellm_params keys that become Deployment fields or router limits, not params for litellm.
CONSUMED_PARAMS = frozenset(
    {
        "model",
        "api_base",
        "api_key",
        "timeout",
        "stream_timeout",
        "rpm",
        "tpm",
        "extra_headers",
        "headers",
        "input_cost_per_token",
        "output_cost_per_token",
    }
)
# Every key Legion's own blocks accept, for "did you mean" hints.
LEGION_KEYS: frozenset[str] = frozenset().union(
    *(
        block.model_fields
        for block in (
            LegionModel,
            LegionBlock,
            EscalationBlock,
            HealthBlock,
            ServerBlock,
            LedgerBlock,
            KeyBlock,
            CurationBlock,
        )
    )
)

Path_ = tuple[object, ...]

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails


def load_config(path: Path | str, *, env: Mapping[str, str] | None = None) -> GatewayConfig:
    """Load and resolve `path`; `env` (default os.environ) is where secret references look."""
    return _Loader(Path(path), os.environ if env is None else env).load()


class _Loader:
    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.text = ""

    # --- errors -------------------------------------------------------------------------------

    def fail(self, key: Sequence[object] | None, problem: str, hint: str | None = None) -> NoReturn:
        line = key_paths.line_of(self.text, key) if key else None
        raise ConfigError(
            self.path, key_paths.render(key) if key else None, problem, hint=hint, line=line
        )

    # --- stages -------------------------------------------------------------------------------

    def load(self) -> GatewayConfig:
        raw = self.parse()
        resolver = SecretResolver(self.env, _defaults(raw.get("environment_variables")))
        try:
            self.resolve_secrets(raw, resolver)
        except MissingVariable as exc:
            self.fail(
                exc.key,
                f"environment variable {exc.variable} is not set",
                f"export {exc.variable}, or set it under environment_variables",
            )
        try:
            file = ConfigFile.model_validate(raw)
        except ValidationError as exc:
            self.validation_failed(exc)
        self.log_ignored(file)
        return self.build(file, raw)

    def parse(self) -> dict[str, Any]:
        try:
            self.text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.fail(None, "file not found", "pass the path of LiteLLM's config.yaml")
        except UnicodeDecodeError:
            self.fail(None, "not UTF-8 text")
        except OSError as exc:
            self.fail(None, f"cannot read the file ({exc.strerror})")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(self.text, Loader=loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(p for p in (exc.context, exc.problem) if p)
            raise ConfigError(
                self.path,
                None,
                f"invalid YAML: {problem}",
                line=mark.line + 1 if mark else None,
            ) from None
        except yaml.YAMLError as exc:
            self.fail(None, f"invalid YAML: {exc}")
        if data is None:
            self.fail(None, "the file is empty", "start with a model_list")
        if not isinstance(data, dict):
            self.fail(None, "the top level must be a mapping", "start with a model_list")
        return data

    def resolve_secrets(self, raw: dict[str, Any], resolver: SecretResolver) -> None:
        """Replace references before validation (so `timeout: os.environ/T` validates as a
        number), only under keys Legion uses: a reference elsewhere may stay unset."""
        models = raw.get("model_list")
        if isinstance(models, list):
            for i, entry in enumerate(models):
                if isinstance(entry, dict) and isinstance(entry.get("litellm_params"), dict):
                    where: Path_ = ("model_list", i, "litellm_params")
                    entry["litellm_params"] = resolver.resolve_tree(entry["litellm_params"], where)
        general = raw.get("general_settings")
        if isinstance(general, dict) and "master_key" in general:
            where = ("general_settings", "master_key")
            general["master_key"] = resolver.resolve(general["master_key"], where)
        legion = raw.get("legion")
        if not isinstance(legion, dict):
            return
        ledger = legion.get("ledger")
        if isinstance(ledger, dict) and "url" in ledger:
            ledger["url"] = resolver.resolve(ledger["url"], ("legion", "ledger", "url"))
        keys = legion.get("keys")
        if isinstance(keys, list):
            for i, item in enumerate(keys):
                if isinstance(item, dict) and "key" in item:
                    item["key"] = resolver.resolve(item["key"], ("legion", "keys", i, "key"))

    def validation_failed(self, exc: ValidationError) -> NoReturn:
        errors = exc.errors(include_url=False, include_input=True)
        first = errors[0]
        problem, hint = _describe(first)
        if len(errors) > 1:
            problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        self.fail(first["loc"], problem, hint)

    def log_ignored(self, file: ConfigFile) -> None:
        ignored: list[str] = []

        def note(prefix: tuple[object, ...], model: BaseModel | None) -> None:
            for name in model.model_extra or {} if model is not None else {}:
                ignored.append(key_paths.render((*prefix, name)))

        note((), file)
        note(("router_settings",), file.router_settings)
        note(("litellm_settings",), file.litellm_settings)
        note(("general_settings",), file.general_settings)
        for i, entry in enumerate(file.model_list):
            note(("model_list", i), entry)
            note(("model_list", i, "model_info"), entry.model_info)
        if ignored:
            logger.debug("{}: LiteLLM keys Legion ignores: {}", self.path, ", ".join(ignored))

    # --- building -----------------------------------------------------------------------------

    def build(self, file: ConfigFile, raw: dict[str, Any]) -> GatewayConfig:
        router = file.router_settings
        settings = file.litellm_settings
        legion = file.legion or LegionBlock()
        default_timeout = (
            (router.timeout if router else None)
            or (settings.request_timeout if settings else None)
            or DEFAULT_REQUEST_TIMEOUT
        )
        deployments: list[Deployment] = []
        by_name: dict[str, list[Deployment]] = {}
        seen_ids: dict[str, int] = {}
        for i, entry in enumerate(file.model_list):
            raw_params = raw["model_list"][i]["litellm_params"]
            deployment = self.deployment(i, entry, raw_params, default_timeout)
            if deployment.id in seen_ids:
                self.fail(
                    ("model_list", i, "model_info", "id"),
                    f"id '{deployment.id}' is already used by "
                    f"model_list[{seen_ids[deployment.id]}]",
                    "give each deployment its own model_info.id",
                )
            seen_ids[deployment.id] = i
            deployments.append(deployment)
            by_name.setdefault(deployment.model_name, []).append(deployment)

        fallbacks: dict[str, list[str]] = {}
        window_fallbacks: dict[str, list[str]] = {}
        for section, block in (("litellm_settings", settings), ("router_settings", router)):
            if block is None:
                continue
            for field, target in (
                ("fallbacks", fallbacks),
                ("context_window_fallbacks", window_fallbacks),
            ):
                items = getattr(block, field)
                if items:
                    target.update(self.fallbacks((section, field), items, by_name))

        return GatewayConfig(
            path=self.path,
            deployments=deployments,
            by_name=by_name,
            fallbacks=fallbacks,
            context_window_fallbacks=window_fallbacks,
            master_key=_secret(file.general_settings.master_key if file.general_settings else None),
            keys=self.keys(legion, by_name),
            privacy=legion.privacy,
            escalation=EscalationSettings(
                enabled=legion.escalation.enabled, max_attempts=legion.escalation.max_attempts
            ),
            health=_health(legion, file),
            server=ServerSettings(
                max_body_bytes=legion.server.max_body_bytes,
                request_timeout=legion.server.request_timeout
                or (settings.request_timeout if settings else None)
                or (router.timeout if router else None)
                or DEFAULT_REQUEST_TIMEOUT,
            ),
            ledger=LedgerSettings(
                url=legion.ledger.url or f"sqlite:///{legion_home(self.env) / LEDGER_FILE}",
                queue_size=legion.ledger.queue_size,
            ),
            curation=CurationSettings(
                enabled=legion.curation.enabled,
                preserve_recent_turns=legion.curation.preserve_recent_turns,
                target_context_tokens=legion.curation.target_context_tokens,
                archive_dir=Path(legion.curation.archive_dir).expanduser()
                if legion.curation.archive_dir
                else None,
            ),
            drop_params=bool(settings.drop_params) if settings else False,
            num_retries=_first_int(
                router.num_retries if router else None,
                settings.num_retries if settings else None,
            ),
            routing_strategy=router.routing_strategy if router else None,
        )

    def deployment(
        self, index: int, entry: ModelEntry, raw_params: dict[str, Any], default_timeout: float
    ) -> Deployment:
        base: Path_ = ("model_list", index)
        params = entry.litellm_params
        info = entry.model_info or ModelInfo()
        legion, legion_path = _merge_legion(info.legion, entry.legion, base)
        try:
            target = infer_provider(params.model, params.api_base)
        except InferenceProblem as problem:
            self.fail((*base, "litellm_params", problem.key), problem.problem, problem.hint)
        tier = legion.tier or target.default_tier
        never_cloud = bool(legion.never_cloud)
        if never_cloud and tier in CLOUD_TIERS:
            self.fail(
                (*legion_path, "never_cloud"),
                f"never_cloud is set but the deployment's tier is {tier}",
                "set legion.tier to local, direct or fleet, or drop never_cloud",
            )
        capabilities = legion.capabilities
        if capabilities is None:
            capabilities = ["embeddings"] if info.mode == "embedding" else []
        headers = {
            str(k): mask(str(k), v)
            for section in ("headers", "extra_headers")
            for k, v in (raw_params.get(section) or {}).items()
        }
        return Deployment(
            id=info.id or f"{entry.model_name}#{index}",
            model_name=entry.model_name,
            provider=target.family,
            model=target.model,
            api_base=target.api_base,
            api_key=_secret(raw_params.get("api_key")),
            timeout=params.timeout or default_timeout,
            stream_timeout=params.stream_timeout,
            tier=tier,
            priority=legion.priority or 0,
            capabilities=frozenset(capabilities),
            input_cost_per_token=_first(
                legion.input_cost_per_token,
                params.input_cost_per_token,
                info.input_cost_per_token,
            ),
            output_cost_per_token=_first(
                legion.output_cost_per_token,
                params.output_cost_per_token,
                info.output_cost_per_token,
            ),
            context_window=legion.context_window or info.max_input_tokens,
            max_output_tokens=info.max_output_tokens or info.max_tokens,
            never_cloud=never_cloud,
            params={k: mask(k, v) for k, v in raw_params.items() if k not in CONSUMED_PARAMS},
            headers=headers,
        )

    def fallbacks(
        self,
        section: Path_,
        items: list[dict[str, list[str]]],
        by_name: Mapping[str, list[Deployment]],
    ) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for j, item in enumerate(items):
            for source, targets in item.items():
                for name, where in [(source, (*section, j, source))] + [
                    (t, (*section, j, source, k)) for k, t in enumerate(targets)
                ]:
                    if name not in by_name:
                        self.fail(where, f"unknown model_name '{name}'", _known_hint(name, by_name))
                out[source] = [t for t in targets if t != source]
        return out

    def keys(self, legion: LegionBlock, by_name: Mapping[str, object]) -> list[VirtualKeySpec]:
        specs: list[VirtualKeySpec] = []
        names: set[str] = set()
        digests: set[str] = set()
        for i, block in enumerate(legion.keys):
            base: Path_ = ("legion", "keys", i)
            if (block.key is None) == (block.key_sha256 is None):
                self.fail(
                    base,
                    "set exactly one of key and key_sha256",
                    "key_sha256 keeps the plain key out of the file: sha256sum of the key",
                )
            if block.name in names:
                self.fail((*base, "name"), f"key name '{block.name}' is used twice")
            if block.key is not None:
                digest = hashlib.sha256(block.key.encode()).hexdigest()
            else:
                digest = (block.key_sha256 or "").lower()
            if digest in digests:
                self.fail(base, "the same key is listed twice")
            for j, model in enumerate(block.models or []):
                if model not in by_name:
                    problem = f"unknown model_name '{model}'"
                    self.fail((*base, "models", j), problem, _known_hint(model, by_name))
            names.add(block.name)
            digests.add(digest)
            specs.append(
                VirtualKeySpec(
                    name=block.name,
                    key_sha256=digest,
                    models=frozenset(block.models) if block.models is not None else None,
                    max_budget=block.max_budget,
                    curation=block.curation,
                )
            )
        return specs


# --- helpers of one use each --------------------------------------------------------------------


def _defaults(value: Any) -> dict[str, str]:
    """`environment_variables` as lookup defaults (validated properly later)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for name, item in value.items():
        text = scalar_text(item)
        if isinstance(text, str):
            out[str(name)] = text
    return out


def _secret(value: Any) -> str | None:
    return None if value is None else Secret(str(value))


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _first_int(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def _merge_legion(
    in_info: LegionModel | None, beside: LegionModel | None, base: Path_
) -> tuple[LegionModel, Path_]:
    """The model's Legion keys: those beside litellm_params win over those in model_info."""
    if beside is None and in_info is None:
        return LegionModel(), (*base, "legion")
    if in_info is None:
        assert beside is not None
        return beside, (*base, "legion")
    if beside is None:
        return in_info, (*base, "model_info", "legion")
    merged = in_info.model_copy(update=beside.model_dump(exclude_none=True))
    return merged, (*base, "legion")


def _health(legion: LegionBlock, file: ConfigFile) -> HealthSettings:
    """Legion's health keys, else LiteLLM's router cooldown settings, else the defaults."""
    block = legion.health
    router = file.router_settings
    default = HealthSettings()
    allowed_fails = router.allowed_fails if router else None
    return HealthSettings(
        window_seconds=block.window_seconds or default.window_seconds,
        failure_threshold=block.failure_threshold
        or (allowed_fails + 1 if allowed_fails is not None else default.failure_threshold),
        cooldown_seconds=block.cooldown_seconds
        if block.cooldown_seconds is not None
        else (
            router.cooldown_time
            if router and router.cooldown_time is not None
            else default.cooldown_seconds
        ),
        latency_penalty_ms=block.latency_penalty_ms or default.latency_penalty_ms,
    )


def _known_hint(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    listed = ", ".join(known)
    return f"did you mean '{close[0]}'? configured: {listed}" if close else f"configured: {listed}"


def _describe(error: ErrorDetails) -> tuple[str, str | None]:
    """A pydantic error as a problem and a hint; the input is quoted only where it cannot be a
    secret (unknown key names, tier and capability names)."""
    kind = error["type"]
    last = error["loc"][-1] if error["loc"] else ""
    if kind == "missing":
        hints = {
            "model_name": "every model_list entry needs model_name, the name clients ask for",
            "model": "set litellm_params.model to provider/model, e.g. openai/gpt-4o",
            "litellm_params": "every model_list entry needs litellm_params with a model",
            "model_list": "list the models to serve under model_list",
        }
        return "is required", hints.get(str(last))
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(last), LEGION_KEYS, n=1)
        return "unknown key", f"did you mean '{close[0]}'?" if close else None
    if kind == "literal_error":
        return f"'{error['input']}' is not allowed: {_lower_first(error['msg'])}", None
    problem = _lower_first(error["msg"])
    if kind.endswith("_type") or kind.endswith("_parsing"):
        problem += f" (got {_yaml_type(error['input'])})"
    return problem, None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _yaml_type(value: object) -> str:
    names: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a mapping"),
    )
    if value is None:
        return "nothing"
    return next((name for kind, name in names if isinstance(value, kind)), "something else")
