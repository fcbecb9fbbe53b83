"""Deterministic corpus of coding-agent sessions for measuring context curation.

Each session is canonical messages (system prompt, user requests, assistant replies with
reasoning, tool calls to read_file / run_command / search / edit_file with large results, re-reads
after edits, clarification exchanges, harness reminders, near-duplicate status updates) and the
facts planted in its early turns, each with a question and the strings that answer it.

Use: `sessions = generate(seed=7)`; the same seed always gives the same sessions. Used by the
curation tests and by `tools/bench/llm_curation.py`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Literal

from legion.llm.canonical import Message, Part, TextPart, ThinkingPart, ToolResultPart, ToolUsePart

# (low, high) user turns per bucket, inclusive.
BUCKETS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (2, 3),
    (4, 5),
    (6, 9),
    (10, 19),
    (20, 49),
    (50, 80),
)
SESSIONS_PER_BUCKET = 22

ToolStyle = Literal["openai", "anthropic"]
ThinkingStyle = Literal["part", "tag", "heading", "none"]


@dataclass(slots=True)
class Fact:
    """A fact planted in `turn`; `evidence` are the strings that together answer `question`
    (retained when one message holds all of them)."""

    kind: str
    turn: int
    question: str
    answer: str
    evidence: tuple[str, ...]


@dataclass(slots=True)
class Session:
    id: str
    turns: int
    messages: list[Message]
    facts: list[Fact] = field(default_factory=list)


def bucket_label(low: int, high: int) -> str:
    if low == high:
        return str(low)
    return f"{low}+" if high >= 80 else f"{low}-{high}"


def bucket_of(turns: int) -> str:
    for low, high in BUCKETS:
        if low <= turns <= high:
            return bucket_label(low, high)
    raise ValueError(f"no bucket for {turns} turns")


# --- vocabulary ---------------------------------------------------------------------------------

PROJECTS = ("orders", "billing", "inventory", "ledger", "catalog", "shipping", "accounts", "search")
MODULES = ("config", "db", "api", "models", "service", "worker", "cache", "auth", "retry", "client")
VERBS = (
    "load",
    "build",
    "fetch",
    "sync",
    "validate",
    "apply",
    "resolve",
    "render",
    "parse",
    "flush",
)
NOUNS = ("order", "invoice", "batch", "session", "token", "record", "event", "price", "user", "job")
TYPES = ("str", "int", "float", "bool", "dict[str, str]", "list[int]", "bytes")
EXCEPTIONS = ("ValueError", "KeyError", "RuntimeError", "TimeoutError", "LookupError")
LIBRARIES = (
    ("msgspec", "serialization", "pydantic"),
    ("httpx", "the HTTP client", "requests"),
    ("structlog", "logging", "the stdlib logging module"),
    ("SQLAlchemy Core", "database access", "the ORM"),
    ("arq", "background jobs", "Celery"),
    ("pytest-xdist", "parallel tests", "a custom runner"),
    ("tenacity", "retries", "hand-written retry loops"),
    ("orjson", "JSON encoding", "the json module"),
)
# Clarification exchanges: the messages (user first, alternating) and the answer's evidence.
CLARIFY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        (
            "Quick question before you go on: should I keep the old {path} endpoint for "
            "backwards compatibility, or can we drop it now that the apps have migrated?",
            "Keep it: /v{n}/{noun} stays as a deprecated alias until the {n}.{m} release.",
        ),
        ("/v{n}/{noun}", "deprecated"),
    ),
    (
        (
            "Do the migrations need to run before the deploy or after?",
            "Which migrations do you mean, the {noun} index or the data backfill?",
            "The index one.",
            "Before: migration {n:04d}_{noun}_index must be applied first; the new code reads it.",
        ),
        ("{n:04d}_{noun}_index",),
    ),
    (
        (
            "Wait, which Python version does CI actually use? I remember something about the "
            "runners being upgraded last month but I am not sure it happened.",
            "CI runs Python 3.{m} on the ci-{noun}-{n} runners; local 3.11 is fine.",
        ),
        ("3.{m}", "ci-{noun}-{n}"),
    ),
)
REMINDERS = (
    "<system-reminder>The TodoWrite tool hasn't been used recently. If you are working on tasks "
    "that would benefit from tracking progress, consider using it. Ignore if not applicable."
    "</system-reminder>",
    "<system-reminder>Whenever you read a file, consider whether it looks malicious. You may "
    "analyse it but must refuse to improve or augment malicious code.</system-reminder>",
    "[status] background task build-{n} is running ({p}% complete, {s}s elapsed)",
    "Current working directory is /home/dev/{project}; git branch is feature/{noun}-{n}.",
    "Context usage: {p}% of the window used; older tool output may be summarised.",
)
SYSTEM_PROMPT = (
    "You are a coding agent working in the {project} repository. You can call tools: read_file "
    "(path, optional offset and limit), edit_file (path, old_string, new_string), run_command "
    "(command; runs in the repository root with a 120 s timeout), search (query, optional path). "
    "Read files before editing them. Keep changes minimal and focused, match the existing style, "
    "run the relevant tests after every change and report failures verbatim. Never commit secrets "
    "or print environment variables. When a task is ambiguous, ask one short clarifying question. "
    "Summarise what you changed at the end of each task, with file paths."
)


# --- the session builder ------------------------------------------------------------------------


class _Builder:
    def __init__(self, rng: random.Random, session_id: str, turns: int) -> None:
        self.rng = rng
        self.id = session_id
        self.turns = turns
        self.project = rng.choice(PROJECTS)
        self.tool_style: ToolStyle = rng.choice(("openai", "anthropic"))
        self.thinking_style: ThinkingStyle = rng.choice(("part", "part", "tag", "heading", "none"))
        self.messages: list[Message] = [
            Message("system", [TextPart(SYSTEM_PROMPT.format(project=self.project))])
        ]
        self.facts: list[Fact] = []
        self.files: dict[str, list[str]] = {}
        self.read_paths: list[str] = []
        self.calls = 0
        self.status_counts = [rng.randint(80, 400), rng.randint(1, 6), rng.randint(60, 90)]
        self.turn = 0

    # messages ----------------------------------------------------------------------------------

    def user(self, text: str) -> None:
        self.turn += 1
        if self.rng.random() < 0.15:
            text = f"{text}\n\n{self.reminder()}"
        self.messages.append(Message("user", [TextPart(text)]))

    def thinking(self, about: str) -> list[Part]:
        thought = (
            f"The user wants {about}. I should check the relevant code in the {self.project} "
            f"package first, then make the smallest change that works and run the tests. "
            + " ".join(
                self.rng.choice(
                    (
                        "The failing path is probably in the retry handling.",
                        "I need to keep the public API stable.",
                        "There may be a fixture that sets this up already.",
                        "Let me look at how the config is loaded before changing anything.",
                        "The previous run showed the same error, so the cause is upstream.",
                        "I'll avoid touching the generated files.",
                    )
                )
                for _ in range(self.rng.randint(2, 6))
            )
        )
        if self.thinking_style == "part":
            return [ThinkingPart(thought, signature=f"sig-{self.rng.getrandbits(64):016x}")]
        if self.thinking_style == "tag":
            return [TextPart(f"<thinking>\n{thought}\n</thinking>\n\n")]
        if self.thinking_style == "heading":
            return [TextPart(f"# Thinking\n{thought}\n\n# Plan\n")]
        return []

    def assistant(self, text: str, about: str, calls: list[ToolUsePart] | None = None) -> None:
        parts: list[Part] = self.thinking(about)
        if parts and isinstance(parts[-1], TextPart):
            parts[-1] = TextPart(parts[-1].text + text)
        else:
            parts.append(TextPart(text))
        parts.extend(calls or [])
        self.messages.append(Message("assistant", parts))

    def call(self, name: str, **arguments: object) -> ToolUsePart:
        self.calls += 1
        prefix = "toolu_" if self.tool_style == "anthropic" else "call_"
        return ToolUsePart(f"{prefix}{self.id}_{self.calls:03d}", name, json.dumps(arguments))

    def results(self, pairs: list[tuple[ToolUsePart, str, bool]]) -> None:
        parts = [ToolResultPart(c.id, [TextPart(text)], is_error) for c, text, is_error in pairs]
        if self.tool_style == "anthropic":
            self.messages.append(Message("user", list(parts)))
        else:
            self.messages.extend(Message("tool", [p]) for p in parts)

    def tool_round(self, about: str, text: str, calls: list[tuple[ToolUsePart, str, bool]]) -> None:
        self.assistant(text, about, [c for c, _, _ in calls])
        self.results(calls)

    def reminder(self) -> str:
        return self.rng.choice(REMINDERS).format(
            n=self.rng.randint(1, 99),
            p=self.rng.randint(5, 95),
            s=self.rng.randint(3, 900),
            project=self.project,
            noun=self.rng.choice(NOUNS),
        )

    def maybe_harness(self) -> None:
        if self.rng.random() < 0.3:
            self.messages.append(Message("system", [TextPart(self.reminder())]))

    # files and outputs -------------------------------------------------------------------------

    def new_path(self) -> str:
        for _ in range(50):
            module = self.rng.choice(MODULES)
            path = f"src/{self.project}/{module}.py"
            if path not in self.files:
                return path
        return f"src/{self.project}/extra_{len(self.files)}.py"

    def python_file(self, path: str, constants: dict[str, str] | None = None) -> list[str]:
        rng = self.rng
        stem = path.rsplit("/", 1)[-1].removesuffix(".py")
        lines = [
            f'"""{stem.capitalize()} for the {self.project} service."""',
            "",
            "from __future__ import annotations",
            "",
            "import logging",
            "from dataclasses import dataclass, field",
            "",
            "logger = logging.getLogger(__name__)",
            "",
        ]
        for _ in range(rng.randint(2, 5)):
            name = f"{rng.choice(NOUNS).upper()}_{rng.choice(('LIMIT', 'TTL', 'BATCH', 'WORKERS'))}"
            lines.append(f"{name} = {rng.randint(2, 900)}")
        for name, value in (constants or {}).items():
            lines.append(f"{name} = {value}")
        lines.append("")
        target = rng.randint(120, 380)
        while len(lines) < target:
            noun = rng.choice(NOUNS)
            if rng.random() < 0.3:
                lines += [
                    "",
                    "@dataclass",
                    f"class {noun.capitalize()}{rng.choice(('Spec', 'State', 'Row'))}:",
                ]
                lines.append(f'    """A {noun} as the {stem} layer sees it."""')
                for _ in range(rng.randint(3, 8)):
                    field_name = f"{rng.choice(NOUNS)}_{rng.choice(('id', 'count', 'name', 'at'))}"
                    lines.append(f"    {field_name}: {rng.choice(TYPES)} = field(default=None)")
                continue
            verb = rng.choice(VERBS)
            lines += [
                "",
                "",
                f"def {verb}_{noun}({noun}_id: int, *, retries: int = {rng.randint(1, 5)})"
                " -> dict:",
                f'    """{verb.capitalize()} one {noun} by id, retrying transient failures."""',
                f"    result = _store.get({noun}_id)",
                "    if result is None:",
                f'        raise {rng.choice(EXCEPTIONS)}(f"{noun} {{{noun}_id}} not found")',
                "    for attempt in range(retries):",
                f'        logger.debug("{verb} %s attempt %d", {noun}_id, attempt)',
                f"        if _ready(result, timeout={rng.randint(1, 30)}):",
                "            break",
                f"    return {{'id': {noun}_id, 'state': result.state,"
                f" 'version': {rng.randint(1, 9)}}}",
            ]
        self.files[path] = lines
        return lines

    def yaml_file(self, path: str, planted: tuple[str, str, str]) -> list[str]:
        section, key, value = planted
        lines = [f"# {self.project} service settings", f"service: {self.project}", ""]
        for name in ("server", "logging", section, "cache", "queues", "features"):
            lines.append(f"{name}:")
            for _ in range(self.rng.randint(4, 12)):
                suffix = self.rng.choice(("timeout", "size", "level", "ttl"))
                sub = f"{self.rng.choice(NOUNS)}_{suffix}"
                lines.append(f"  {sub}: {self.rng.randint(1, 500)}")
            if name == section:
                lines.append(f"  {key}: {value}")
            lines.append("")
        while len(lines) < 90:
            lines.append(f"  # {self.rng.choice(VERBS)} {self.rng.choice(NOUNS)} note {len(lines)}")
        self.files[path] = lines
        return lines

    def render_read(self, path: str) -> str:
        lines = self.files[path]
        if self.tool_style == "anthropic":
            return "\n".join(f"{i:>6}\t{line}" for i, line in enumerate(lines, 1))
        return "\n".join(lines)

    def edit(self, path: str) -> tuple[ToolUsePart, str, bool]:
        lines = self.files[path]
        candidates = [
            i for i, line in enumerate(lines) if "timeout=" in line or "retries: int" in line
        ]
        index = self.rng.choice(candidates) if candidates else len(lines) - 1
        old = lines[index]
        new = old.replace("timeout=", "timeout=2*") if "timeout=" in old else old + "  # reviewed"
        lines[index] = new
        call = self.call("edit_file", path=path, old_string=old.strip(), new_string=new.strip())
        return call, f"Applied 1 edit to {path} (line {index + 1}).", False

    def pytest_output(self, failure: str | None, passed: int) -> tuple[str, bool]:
        rng = self.rng
        tests = [f"tests/test_{m}.py" for m in rng.sample(MODULES, 6)]
        lines = [
            "============================= test session starts ==============================",
            "platform linux -- Python 3.12.4, pytest-8.3.2, pluggy-1.5.0",
            f"rootdir: /home/dev/{self.project}",
            "configfile: pyproject.toml",
            f"collected {passed + (1 if failure else 0)} items",
            "",
        ]
        for test in tests:
            dots = "." * rng.randint(10, 60)
            lines.append(f"{test} {dots}{' ' * 4}[{rng.randint(5, 99):>3}%]")
        if failure:
            test = tests[0]
            lines += [
                "",
                "=================================== FAILURES ===================================",
                f"{'_' * 25} test_{rng.choice(VERBS)}_{rng.choice(NOUNS)} {'_' * 25}",
                "",
            ]
            for depth in range(rng.randint(6, 14)):
                module = rng.choice(MODULES)
                lines += [
                    f"src/{self.project}/{module}.py:{rng.randint(10, 300)}: "
                    f"in {rng.choice(VERBS)}_{rng.choice(NOUNS)}",
                    f"    return _store.get(key, timeout={depth + 1})",
                ]
            lines += [
                f"E   {failure}",
                "",
                "=========================== short test summary info ============================",
                f"FAILED {test}::test_{rng.choice(NOUNS)} - {failure[:60]}",
                f"{'=' * 25} 1 failed, {passed} passed in {rng.uniform(1, 30):.2f}s {'=' * 25}",
                "",
                "exit code: 1",
            ]
            return "\n".join(lines), True
        lines += [
            f"{'=' * 30} {passed} passed in {rng.uniform(1, 30):.2f}s {'=' * 30}",
            "",
            "exit code: 0",
        ]
        return "\n".join(lines), False

    def search_output(self, query: str) -> str:
        hits = []
        for _ in range(self.rng.randint(8, 45)):
            path = f"src/{self.project}/{self.rng.choice(MODULES)}.py"
            hits.append(
                f"{path}:{self.rng.randint(1, 380)}:    {query}({self.rng.choice(NOUNS)}_id)"
            )
        return "\n".join(hits)

    # turn kinds --------------------------------------------------------------------------------

    def turn_decision(self, ask: bool) -> None:
        library, purpose, alternative = self.rng.choice(LIBRARIES)
        feature = f"{self.rng.choice(VERBS)} {self.rng.choice(NOUNS)}s"
        self.user(
            f"I need you to add support to {feature} in the {self.project} service. "
            f"We decided to use {library} for {purpose} instead of {alternative}, so stick with "
            "that everywhere. Start by getting familiar with the code."
        )
        self.facts.append(
            Fact(
                "decision",
                self.turn,
                f"Which library did the user choose for {purpose}?",
                library,
                (library, purpose),
            )
        )
        self.read_some(f"to {feature}", count=self.rng.randint(1, 2))
        self.assistant(
            f"I've looked at the layout. The {self.project} service keeps its logic in "
            f"src/{self.project}/; I'll use {library} as agreed.",
            "an overview",
        )

    def turn_config(self, ask: bool) -> None:
        value = str(self.rng.randint(1000, 9999))
        noun = self.rng.choice(NOUNS)
        if self.rng.random() < 0.5:
            name = f"{self.project.upper()}_{noun.upper()}_RETRY_BUDGET_MS"
            path = f"src/{self.project}/config.py"
            self.python_file(path, {name: value})
            evidence = (name, value)
        else:
            name = f"{noun}_window_seconds"
            path = f"config/{self.project}.yaml"
            self.yaml_file(path, (self.rng.choice(("database", "billing", "limits")), name, value))
            evidence = (name, value)
        if ask:
            self.user(f"How is the {noun} retry budget configured? Check the config first.")
        call = self.call("read_file", path=path)
        self.tool_round(
            "the configuration",
            "Reading the configuration.",
            [(call, self.render_read(path), False)],
        )
        self.read_paths.append(path)
        self.assistant(f"The budget is `{name}` in {path}. I'll leave it unchanged.", "a summary")
        self.facts.append(
            Fact("config", self.turn, f"What is {name} set to in {path}?", value, evidence)
        )

    def turn_error(self, ask: bool) -> None:
        host = f"db-{self.rng.getrandbits(24):06x}.internal"
        port = self.rng.choice((5433, 6432, 6543, 15432))
        error = (
            "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) "
            f'connection to server at "{host}" '
            f"(10.0.{self.rng.randint(0, 9)}.{self.rng.randint(2, 250)}), port {port} failed: "
            'FATAL: password authentication failed for user "svc_app"'
        )
        if ask:
            self.user("Run the test suite and tell me what fails.")
        output, failed = self.pytest_output(error, self.rng.randint(40, 400))
        call = self.call("run_command", command="pytest -x -q")
        self.tool_round("the test results", "Running the tests.", [(call, output, failed)])
        self.assistant(
            f"One test fails: the database connection to {host} is refused during authentication; "
            "the credentials for svc_app in the test environment look stale.",
            "a diagnosis",
        )
        self.facts.append(
            Fact(
                "error",
                self.turn,
                "Which error made the test suite fail, and for which host?",
                f"OperationalError, {host}",
                ("OperationalError", host),
            )
        )

    def turn_clarify(self, plant: bool) -> None:
        texts, evidence = self.rng.choice(CLARIFY)
        values = {
            "n": self.rng.randint(1, 9),
            "m": self.rng.randint(10, 13),
            "noun": self.rng.choice(NOUNS),
            "path": f"/{self.rng.choice(NOUNS)}s",
        }
        filled = [t.format(**values) for t in texts]
        for index, text in enumerate(filled):
            if index == 0:
                self.user(text)
            else:
                role: Literal["user", "assistant"] = "assistant" if index % 2 else "user"
                self.messages.append(Message(role, [TextPart(text)]))
        if plant:
            found = tuple(e.format(**values) for e in evidence)
            self.facts.append(Fact("clarification", self.turn, filled[0], filled[-1], found))

    def turn_constraint(self, ask: bool) -> None:
        version = f"0.{self.rng.randint(4, 9)}.{self.rng.randint(0, 20)}"
        self.user(
            f"From now on always run ruff before you finish a change; CI pins ruff {version} and "
            "fails on any warning. Then continue with the feature."
        )
        self.facts.append(
            Fact(
                "constraint",
                self.turn,
                "Which ruff version does CI pin?",
                version,
                (f"ruff {version}",),
            )
        )
        self.work_round()

    def read_some(self, about: str, count: int) -> None:
        calls = []
        for _ in range(count):
            path = self.new_path()
            self.python_file(path)
            self.read_paths.append(path)
            calls.append((self.call("read_file", path=path), self.render_read(path), False))
        self.tool_round(about, "Let me read the relevant files.", calls)

    def work_round(self) -> None:
        rng = self.rng
        if self.read_paths and rng.random() < 0.6:
            path = rng.choice(self.read_paths)
        else:
            path = self.new_path()
            self.python_file(path)
            self.read_paths.append(path)
        read = self.call("read_file", path=path)
        self.tool_round(
            "the current code",
            f"Reading {path} again after the last change.",
            [(read, self.render_read(path), False)],
        )
        self.tool_round("an edit", "Making the change.", [self.edit(path)])
        failing = rng.random() < 0.3
        failure = (
            f"{rng.choice(EXCEPTIONS)}: {rng.choice(NOUNS)} {rng.randint(1, 999)} not found"
            if failing
            else None
        )
        output, failed = self.pytest_output(failure, rng.randint(40, 400))
        self.tool_round(
            "the tests",
            "Running the tests.",
            [(self.call("run_command", command="pytest -q"), output, failed)],
        )
        if rng.random() < 0.35:
            self.status_update()
        else:
            self.assistant(
                f"Updated {path}; tests {'still fail, see above' if failed else 'pass'}.",
                "a summary",
            )

    def status_update(self) -> None:
        counts = self.status_counts
        counts[0] += self.rng.randint(0, 2)
        self.messages.append(
            Message(
                "assistant",
                [
                    TextPart(
                        f"Status update: the feature branch builds cleanly and the test suite "
                        f"reports {counts[0]} passed and {counts[1]} failed, with coverage at "
                        f"{counts[2]}% of the {self.project} package. Remaining work: finish the "
                        f"{self.project} retry path, update the integration tests for the new "
                        "behaviour, and write the changelog entry for the release. I will continue "
                        "with the retry path next unless you want to change priorities, and I will "
                        "report again after the next test run."
                    )
                ],
            )
        )

    def turn_work(self) -> None:
        rng = self.rng
        kind = rng.choices(("work", "search", "status", "clarify", "debug"), (5, 2, 1, 1, 2))[0]
        if kind == "clarify":
            self.turn_clarify(plant=False)
            return
        if kind == "status":
            self.user("Where are we? Give me a quick status.")
            self.status_update()
            return
        noun = rng.choice(NOUNS)
        if kind == "search":
            query = f"def {rng.choice(VERBS)}_{noun}"
            self.user(f"Find every place that handles {noun}s and make them use the shared helper.")
            call = self.call("search", query=query, path=f"src/{self.project}")
            self.tool_round(
                "call sites",
                "Searching for call sites.",
                [(call, self.search_output(query), False)],
            )
            self.work_round()
            return
        if kind == "debug":
            self.user(f"The {noun} job crashes in staging, can you reproduce it locally?")
            command = f"python -m {self.project}.worker --once --job {noun}"
            lines = [f"INFO starting {self.project} worker pid={rng.randint(1000, 99999)}"]
            lines += [
                f"DEBUG {rng.choice(VERBS)} {noun} id={rng.randint(1, 10**6)} ok"
                for _ in range(rng.randint(20, 120))
            ]
            lines += [
                "Traceback (most recent call last):",
                f'  File "/home/dev/{self.project}/src/{self.project}/worker.py", '
                f"line {rng.randint(20, 300)}, in run",
                f"    {rng.choice(VERBS)}_{noun}(job.id)",
                f"{rng.choice(EXCEPTIONS)}: {noun} {rng.randint(1, 999)} has no owner",
                f"exit code: {rng.choice((1, 2))}",
            ]
            call = self.call("run_command", command=command)
            self.tool_round("a reproduction", "Reproducing.", [(call, "\n".join(lines), True)])
            self.work_round()
            return
        self.user(f"Now implement the {noun} handling we discussed, with tests.")
        self.work_round()

    def build(self) -> Session:
        planned = [self.turn_decision, self.turn_config, self.turn_error]
        if self.turns >= 4:
            planned.append(lambda ask: self.turn_clarify(plant=True))
        if self.turns >= 6:
            planned.append(self.turn_constraint)
        for index in range(self.turns):
            if index < len(planned):
                planned[index](True)
            else:
                self.turn_work()
            if index == self.turns - 1:
                # Short sessions plant the remaining facts within their last turn.
                for extra in planned[index + 1 : 3]:
                    extra(False)
            self.maybe_harness()
        return Session(self.id, self.turns, self.messages, self.facts)


def generate(seed: int = 7, per_bucket: int = SESSIONS_PER_BUCKET) -> list[Session]:
    """`per_bucket` sessions in each bucket of BUCKETS, the same for the same seed."""
    rng = random.Random(seed)
    sessions: list[Session] = []
    for low, high in BUCKETS:
        for _ in range(per_bucket):
            turns = rng.randint(low, high)
            session_id = f"s{len(sessions):03d}"
            builder = _Builder(random.Random(rng.getrandbits(64)), session_id, turns)
            sessions.append(builder.build())
    return sessions
