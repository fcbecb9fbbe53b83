"""Schemathesis against the running server, from outside: every operation of the served
`/api/openapi.json` with schemathesis' coverage cases (boundaries, missing and wrong values,
unexpected methods) and generated valid and invalid input, with every built-in check: no 5xx,
every status declared, the declared content type and headers, bodies matching the declared
schemas, invalid input refused and valid input accepted (where a body is checked against what
the document cannot express, such as a cron's syntax, a 400/422 is an acceptable answer too).

It runs against a node behind the security layer (authentication, RBAC, rate limits, audit),
as an admin API key, and against a node without it (the walk is lighter there). Then it follows
the document's links as a state machine: start a task, then show, cancel and read the logs of
that task; create a chain, relationship or schedule, then read, change and delete it.

Schemathesis' pytest integration (`schemathesis.pytest.from_fixture`) does not run under
pytest 9 (it sets `request.node._nodeid`), so operations are walked with its Python API."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

SEED = 20_240_611
EXAMPLES = 25
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
EVENTS = "/api/v1/events"
# An open event stream never ends: each 200 is read for a moment, then closed.
STREAM_SECONDS = 0.25
STREAM_EXAMPLES = 5
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 8


INVOKE = "/api/v1/extensions/{extension}/{runner}/{function}"
# The stateful scenarios start tasks of a function that exists (ping), so the links from a
# started task to its show, cancel and logs routes carry a real task id.
REAL_TASKS = [
    {
        "include-path": "/api/v1/tasks",
        "include-method": "POST",
        "parameters": {"body.function": "ping.ping.ping"},
    },
    {
        "include-path": INVOKE,
        "include-method": "POST",
        "parameters": {"extension": "ping", "runner": "ping", "function": "ping"},
    },
]


# Bodies the server checks against more than the document can say: a schedule's cron syntax
# (croniter), a relationship's conditions and template, a function's arguments against that
# function's own schema. Valid-looking values may be refused there (400/422); every other
# check, and valid-data acceptance everywhere else, stays as schemathesis has it.
ACCEPTANCE = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
SEMANTIC = [
    {
        "include-path": path,
        "include-method": method,
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTANCE}},
    }
    for path, method in (
        ("/api/v1/schedules", "POST"),
        ("/api/v1/schedules/{name}", "PATCH"),
        ("/api/v1/relationships", "POST"),
        ("/api/v1/relationships/{relationship_id}", "PATCH"),
        ("/api/v1/tasks", "POST"),
        ("/api/v1/extensions/{extension}/{runner}/{function}", "POST"),
    )
]


def config(base_url: str, operations: list[dict[str, Any]] | None = None) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "seed": SEED,
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "request-timeout": 60,
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "operations": [
                {
                    "include-path": EVENTS,
                    "request-timeout": STREAM_SECONDS,
                    "max-stream-events": 1,
                    "generation": {"max-examples": STREAM_EXAMPLES},
                },
                *SEMANTIC,
                *(operations or []),
            ],
        }
    )


class Walk:
    """Calls and checks cases over one session with fixed headers (the credential); keeps the
    failures (the first per operation and phase) and every status code seen."""

    def __init__(self, schema: Any, headers: dict[str, str]) -> None:
        self.schema, self.headers = schema, headers
        self.session = requests.Session()
        self.failures: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.sent: Counter[str] = Counter()

    def check(self, case: Any) -> None:
        self.sent[case.operation.label] += 1
        response = case.call_and_validate(session=self.session, headers=self.headers)
        self.statuses[response.status_code] += 1

    def attempt(self, where: str, run: Callable[[], None]) -> None:
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            self.failures.append(f"{where}: {str(exc).strip()[:3000]}")

    def operations(self) -> Iterator[Any]:
        for result in self.schema.get_all_operations():
            yield result.ok()  # raises on an operation schemathesis cannot read

    def coverage(self, op: Any) -> None:
        generation = self.schema.config.generation_for(operation=op, phase="coverage")
        cases = self.schema.iter_coverage_cases(
            op,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=generation,
        )

        def run() -> None:
            for case in cases:
                self.check(case)

        self.attempt(f"{op.label} [coverage]", run)

    def fuzz(self, op: Any, examples: int) -> None:
        modes = [GenerationMode.POSITIVE]
        if op.path_parameters or op.query or op.body:
            modes.append(GenerationMode.NEGATIVE)  # nothing to break in a bare GET /health
        wanted = self.schema.config.generation_for(operation=op, phase="fuzzing").max_examples
        for mode in modes:

            @settings(
                max_examples=min(examples, wanted or examples),
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=SUPPRESSED,
                phases=[Phase.explicit, Phase.generate],  # report, do not spend time shrinking
                print_blob=False,
            )
            @given(case=op.as_strategy(generation_mode=mode))
            def walk(case: Any) -> None:
                self.check(case)

            self.attempt(f"{op.label} [{mode.value}]", walk)

    def report(self) -> str:
        return f"{len(self.failures)} failure(s):\n\n" + "\n\n".join(self.failures)


def load(node: Any, operations: list[dict[str, Any]] | None = None) -> Any:
    return schemathesis.openapi.from_url(
        f"{node.url}/api/openapi.json", config=config(node.url, operations)
    )


@pytest.fixture(scope="module")
def secured(serve_node: Any) -> Any:
    """Credentials required, RBAC enforced; rate limits on but far above what the walk sends."""
    limits = {"per_ip": 1_000_000, "per_principal": 1_000_000, "per_tenant": 1_000_000}
    return serve_node(
        {"api": {"auth": {"loopback_open": False}, "rate_limit": limits}}, secured=True
    )


@pytest.fixture(scope="module")
def admin(secured: Any) -> dict[str, str]:
    return {"X-API-Key": secured.new_key("admin", "schemathesis")}


def test_the_document_has_links_for_stateful_testing(secured: Any) -> None:
    schema = load(secured)
    document = schema.raw_schema
    linked = {
        (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        for response in op.get("responses", {}).values()
        if response.get("links")
    }
    assert ("/api/v1/tasks", "post") in linked
    assert ("/api/v1/extensions/{extension}/{runner}/{function}", "post") in linked
    assert {("/api/v1/chains", "post"), ("/api/v1/relationships", "post")} <= linked
    assert ("/api/v1/schedules", "post") in linked


def test_every_operation_behind_the_security_layer_as_admin(
    secured: Any, admin: dict[str, str]
) -> None:
    walk = Walk(load(secured), admin)
    for op in walk.operations():
        walk.coverage(op)
        walk.fuzz(op, EXAMPLES)
    assert len(walk.sent) >= 30, sorted(walk.sent)
    assert not walk.failures, walk.report()
    # An admin is never refused: a 401 or 403 here would mean the walk tested the guard only.
    assert not {401, 403} & set(walk.statuses), walk.statuses
    assert {200, 201, 400, 404, 422} <= set(walk.statuses), walk.statuses


def test_every_operation_without_the_security_layer(serve_node: Any) -> None:
    node = serve_node(secured=False)
    walk = Walk(load(node), {})
    for op in walk.operations():
        walk.fuzz(op, EXAMPLES // 2)
    assert len(walk.sent) >= 30, sorted(walk.sent)
    assert not walk.failures, walk.report()
    assert {200, 201, 400, 404, 422} <= set(walk.statuses), walk.statuses


def test_stateful_links_as_admin(secured: Any, admin: dict[str, str]) -> None:
    """Scenarios along the links: what one call creates, the next reads, changes or deletes.

    The server keeps its state between scenarios (a chain name stays taken, a task finishes),
    so hypothesis may find a replayed scenario drawing differently and stop with `Flaky`; check
    failures are recorded as they happen, so that ending hides none of them."""
    schema = load(secured, REAL_TASKS)
    session = requests.Session()
    statuses: Counter[int] = Counter()
    followed: Counter[str] = Counter()
    failures: list[str] = []
    created_at = {
        "/api/v1/chains": ("/api/v1/chains/{}", "name"),
        "/api/v1/schedules": ("/api/v1/schedules/{}", "name"),
        "/api/v1/relationships": ("/api/v1/relationships/{}", "id"),
    }

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.created: list[str] = []

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"session": session, "headers": admin}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            statuses[response.status_code] += 1
            followed[case.operation.label] += 1
            if case.method == "POST" and response.status_code == 201 and case.path in created_at:
                template, key = created_at[case.path]
                self.created.append(template.format(quote(str(response.json()["data"][key]))))

        def teardown(self) -> None:
            """Each scenario starts from the same state: what it created is deleted."""
            for path in reversed(self.created):
                session.delete(secured.url + path, headers=admin, timeout=60)
            super().teardown()

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                super().validate_response(response, case, additional_checks, **kwargs)
            except FailureGroup as exc:
                failures.append(f"{case.operation.label}: {str(exc).strip()[:3000]}")
                raise

    # a failure is recorded when it happens; what hypothesis makes of it afterwards (a
    # replay that draws differently is `Flaky`) adds nothing
    with contextlib.suppress(Flaky, FailureGroup):
        Scenarios.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STATEFUL_STEPS,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
                print_blob=False,
            )
        )
    assert not failures, "\n\n".join(failures)
    assert not {401, 403} & set(statuses), statuses
    assert sum(statuses.values()) >= STATEFUL_SCENARIOS, statuses
    # the scenarios went past the first call: a task started was then shown, cancelled or
    # read, and something else created was then used by its id
    task_links = {
        "GET /api/v1/tasks/{task_id}",
        "DELETE /api/v1/tasks/{task_id}",
        "GET /api/v1/tasks/{task_id}/logs",
    }
    assert task_links & set(followed), followed
    linked_targets = {
        "GET /api/v1/chains/{name}",
        "PATCH /api/v1/chains/{name}",
        "DELETE /api/v1/chains/{name}",
        "GET /api/v1/relationships/{relationship_id}",
        "PATCH /api/v1/relationships/{relationship_id}",
        "DELETE /api/v1/relationships/{relationship_id}",
        "PATCH /api/v1/schedules/{name}",
        "DELETE /api/v1/schedules/{name}",
    }
    assert linked_targets & set(followed), followed
